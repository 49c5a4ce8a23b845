-- Telework / remote access as a per-person permission with its approver and validity (R-ZN-11).
CREATE TABLE remote_access_grants (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    approved_by TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    reason      TEXT NOT NULL,
    valid_from  BIGINT NOT NULL,
    valid_until BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX remote_access_grants_account ON remote_access_grants (account_id);
