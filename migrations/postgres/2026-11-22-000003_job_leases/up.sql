-- Scheduled jobs run once even when several nodes share the database: a node runs a job only while
-- it holds the job's lease.
CREATE TABLE job_leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
