-- Officer actions on officers, the CISO, auditors and privileged IDs wait for a second person
-- (R-AC-02): one officer requests, another person named by [approvals] officer_action approves,
-- and only then does the action take effect.
CREATE TABLE officer_requests (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    details         TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    requester_key   TEXT NOT NULL,
    requested_at    BIGINT NOT NULL,
    status          TEXT NOT NULL,
    decided_by      TEXT,
    decided_at      BIGINT
);
CREATE INDEX officer_requests_status ON officer_requests (status, requested_at);
