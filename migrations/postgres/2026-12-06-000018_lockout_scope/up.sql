-- Locks per (account, scope) (issue 18): the scope is the policy network an attempt came from, "-"
-- for addresses in no network, or "*" for a lock that applies everywhere (lockout.scope = "global",
-- and the locks kept from before). Attempts in flight are counted apart from failures, so correct
-- passwords tried at once wait for a place instead of being refused as locked.
ALTER TABLE account_lockouts ADD COLUMN scope TEXT NOT NULL DEFAULT '*';
ALTER TABLE account_lockouts ALTER COLUMN scope DROP DEFAULT;
ALTER TABLE account_lockouts ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE account_lockouts ADD COLUMN pending_at BIGINT;
ALTER TABLE account_lockouts DROP CONSTRAINT account_lockouts_pkey;
ALTER TABLE account_lockouts ADD PRIMARY KEY (account_id, scope);
