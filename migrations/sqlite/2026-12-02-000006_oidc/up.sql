-- Token issuance (issue 6): client secrets, authorization codes, token families (one per sign-in
-- and client), refresh tokens with rotation, revoked access tokens, and the delivery state of
-- back-channel logouts. Every id that stands for a secret is the SHA-256 of it, never the secret.

-- The generated secret of a client, as its SHA-256 digest (argon2 is for passwords people choose).
CREATE TABLE client_secrets (
    client_id  TEXT PRIMARY KEY,
    digest     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

-- The ids (jti) of client assertions already used (private_key_jwt): each is good once (RFC 7523).
CREATE TABLE client_assertions (
    jti        TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Authorization codes: good once, for one client, redirect URI and PKCE challenge.
CREATE TABLE auth_codes (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL,
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    session_id     TEXT NOT NULL REFERENCES sessions (id),
    redirect_uri   TEXT NOT NULL,
    code_challenge TEXT NOT NULL,
    scope          TEXT NOT NULL,
    nonce          TEXT,
    auth_time      BIGINT NOT NULL,
    factors        TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT,
    family_id      TEXT
);
CREATE INDEX auth_codes_expiry ON auth_codes (expires_at);

-- Everything issued from one code: revoked together (refresh reuse, code reuse, revocation,
-- the end of the session).
CREATE TABLE token_families (
    id             TEXT PRIMARY KEY,
    client_id      TEXT NOT NULL,
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    session_id     TEXT NOT NULL REFERENCES sessions (id),
    scope          TEXT NOT NULL,
    auth_time      BIGINT NOT NULL,
    factors        TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoked_reason TEXT,
    logout_sent_at BIGINT
);
CREATE INDEX token_families_session ON token_families (session_id);
CREATE INDEX token_families_account ON token_families (account_id);

CREATE TABLE refresh_tokens (
    id         TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL REFERENCES token_families (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Access tokens revoked before they expire (RFC 7009); rows may go once expired.
CREATE TABLE revoked_tokens (
    jti        TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT NOT NULL
);
