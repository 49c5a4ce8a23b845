CREATE TABLE account_lockouts_single (
    account_id   TEXT PRIMARY KEY REFERENCES accounts (id),
    failures     INTEGER NOT NULL,
    locked_at    BIGINT,
    locked_until BIGINT,
    updated_at   BIGINT NOT NULL
);
INSERT INTO account_lockouts_single (account_id, failures, locked_at, locked_until, updated_at)
    SELECT account_id, MAX(failures), MAX(locked_at), MAX(locked_until), MAX(updated_at) FROM account_lockouts GROUP BY account_id;
DROP TABLE account_lockouts;
ALTER TABLE account_lockouts_single RENAME TO account_lockouts;
