-- Authenticators listed for return when their holder transfers, is seconded or leaves (R-LC-15), and
-- the officer's record of their collection, destruction or loss (R-AU-12). The credential reference
-- outlives the credential: recording a return revokes (deletes) it.
CREATE TABLE authenticator_returns (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    employee_number  TEXT NOT NULL,
    credential_id    TEXT,
    kind             TEXT NOT NULL,
    label            TEXT NOT NULL,
    listed_at        BIGINT NOT NULL,
    listed_reason    TEXT NOT NULL,
    sync_run_id      TEXT NOT NULL,
    status           TEXT NOT NULL,
    recorded_by      TEXT,
    recorded_at      BIGINT,
    note             TEXT
);
CREATE INDEX authenticator_returns_status ON authenticator_returns (status, listed_at);
CREATE INDEX authenticator_returns_credential ON authenticator_returns (credential_id);
