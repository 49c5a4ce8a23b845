-- Locks per (account, scope) (issue 18): the scope is the policy network an attempt came from, "-"
-- for addresses in no network, or "*" for a lock that applies everywhere (lockout.scope = "global",
-- and the locks kept from before). Attempts in flight are counted apart from failures, so correct
-- passwords tried at once wait for a place instead of being refused as locked.
CREATE TABLE account_lockouts_scoped (
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    scope        TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    pending      INTEGER NOT NULL DEFAULT 0,
    pending_at   BIGINT,
    locked_at    BIGINT,
    locked_until BIGINT,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (account_id, scope)
);
INSERT INTO account_lockouts_scoped (account_id, scope, failures, locked_at, locked_until, updated_at)
    SELECT account_id, '*', failures, locked_at, locked_until, updated_at FROM account_lockouts;
DROP TABLE account_lockouts;
ALTER TABLE account_lockouts_scoped RENAME TO account_lockouts;
