ALTER TABLE webauthn_credentials DROP COLUMN attested;
