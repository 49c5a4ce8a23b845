-- Access requests (R-LC-02, R-AC-02): a member of staff asks for a requestable role until an end
-- date; the approvers of [approvals] access_request decide in order (one row of
-- access_request_decisions per step, never the requester); the last approval makes a grant with
-- source `request`.
CREATE TABLE access_requests (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    requester_key TEXT NOT NULL,
    role_id       TEXT NOT NULL,
    system_id     TEXT NOT NULL,
    reason        TEXT NOT NULL,
    contract_id   TEXT,
    valid_from    BIGINT NOT NULL,
    valid_until   BIGINT NOT NULL,
    steps         TEXT NOT NULL,
    steps_done    INTEGER NOT NULL,
    status        TEXT NOT NULL,
    requested_at  BIGINT NOT NULL,
    lapses_at     BIGINT NOT NULL,
    closed_at     BIGINT,
    grant_id      TEXT
);
CREATE INDEX access_requests_status ON access_requests (status, requested_at);
CREATE INDEX access_requests_account ON access_requests (account_id, requested_at);

CREATE TABLE access_request_decisions (
    id           TEXT PRIMARY KEY,
    request_id   TEXT NOT NULL REFERENCES access_requests (id),
    step         INTEGER NOT NULL,
    approver     TEXT NOT NULL,
    decided_by   TEXT NOT NULL,
    decider_key  TEXT NOT NULL,
    approve      BOOLEAN NOT NULL,
    note         TEXT NOT NULL,
    decided_at   BIGINT NOT NULL,
    UNIQUE (request_id, step)
);
