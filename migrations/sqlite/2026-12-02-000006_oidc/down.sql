DROP TABLE revoked_tokens;
DROP TABLE refresh_tokens;
DROP TABLE token_families;
DROP TABLE auth_codes;
DROP TABLE client_assertions;
DROP TABLE client_secrets;
