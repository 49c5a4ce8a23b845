-- Sign-in (issue 5): lockout and throttling state, ceremony state, credential lookup, personal data
-- that passwords may not contain, and an index for "failed attempts since your last sign-in".

-- Consecutive failures and the lock of each account (R-AU-11, R-PR-05).
CREATE TABLE account_lockouts (
    account_id   TEXT PRIMARY KEY REFERENCES accounts (id),
    failures     INTEGER NOT NULL,
    locked_at    BIGINT,
    locked_until BIGINT,
    updated_at   BIGINT NOT NULL
);

-- Failures per source address in the current window (R-AU-19).
CREATE TABLE source_throttles (
    source       TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    failures     INTEGER NOT NULL
);

-- Server-side state between two requests: WebAuthn ceremonies and half-finished sign-ins. The id is
-- the SHA-256 of the handle the browser holds, never the handle.
CREATE TABLE auth_challenges (
    id         TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts (id),
    kind       TEXT NOT NULL,
    state      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX auth_challenges_expiry ON auth_challenges (expires_at);

-- The WebAuthn credential id (base64url) finds the key a passkey sign-in used.
ALTER TABLE webauthn_credentials ADD COLUMN credential_id TEXT;
CREATE UNIQUE INDEX webauthn_credentials_credential_id ON webauthn_credentials (credential_id);
CREATE INDEX webauthn_credentials_account ON webauthn_credentials (account_id);
CREATE INDEX totp_credentials_account ON totp_credentials (account_id);

-- Personal data a password must not contain (R-AU-05), when HR provides it.
ALTER TABLE people ADD COLUMN birth_date TEXT;
ALTER TABLE people ADD COLUMN phone TEXT;

CREATE INDEX audit_events_target ON audit_events (target, seq);
