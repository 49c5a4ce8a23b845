-- HR sync: runs (a held plan waits here for a second person's approval) and review flags on grants.
CREATE TABLE sync_runs (
    id           TEXT PRIMARY KEY,
    created_at   BIGINT NOT NULL,
    source       TEXT NOT NULL,             -- e.g. ldap://hr.example:389
    status       TEXT NOT NULL,             -- held | applied | discarded
    hold_reason  TEXT,
    requested_by TEXT NOT NULL,
    decided_by   TEXT,
    decided_at   BIGINT,
    plan_json    TEXT NOT NULL
);
CREATE INDEX sync_runs_status ON sync_runs (status, created_at);

ALTER TABLE grants ADD COLUMN review_flag TEXT;   -- why the grant needs review (e.g. a transfer)
ALTER TABLE people ADD COLUMN department_name TEXT;   -- as HR names the primary department
