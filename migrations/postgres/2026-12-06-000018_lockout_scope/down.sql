DELETE FROM account_lockouts WHERE scope <> '*';
ALTER TABLE account_lockouts DROP CONSTRAINT account_lockouts_pkey;
ALTER TABLE account_lockouts DROP COLUMN scope;
ALTER TABLE account_lockouts DROP COLUMN pending;
ALTER TABLE account_lockouts DROP COLUMN pending_at;
ALTER TABLE account_lockouts ADD PRIMARY KEY (account_id);
