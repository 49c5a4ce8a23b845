-- Periodic review (R-RV-03, R-RV-05, R-AC-04, R-LG-03): dormant notices, recertification
-- campaigns and their items, the exceptions register and the findings of the log analysis.
CREATE TABLE dormant_notices (
    account_id  TEXT PRIMARY KEY REFERENCES accounts (id),
    noticed_at  BIGINT NOT NULL,
    suspend_at  BIGINT NOT NULL,
    idle_days   BIGINT NOT NULL,
    settled_at  BIGINT,
    outcome     TEXT
);

CREATE TABLE review_campaigns (
    id          TEXT PRIMARY KEY,
    scope_kind  TEXT NOT NULL,
    scope_key   TEXT NOT NULL,
    title       TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    deadline    BIGINT NOT NULL,
    status      TEXT NOT NULL,
    closed_at   BIGINT
);
CREATE INDEX review_campaigns_scope ON review_campaigns (scope_kind, scope_key, created_at);

CREATE TABLE review_items (
    id               TEXT PRIMARY KEY,
    campaign_id      TEXT NOT NULL REFERENCES review_campaigns (id),
    grant_id         TEXT NOT NULL,
    account_id       TEXT NOT NULL,
    login_id         TEXT NOT NULL,
    employee_number  TEXT,
    role_id          TEXT NOT NULL,
    system_id        TEXT NOT NULL,
    source           TEXT NOT NULL,
    grant_reason     TEXT,
    reviewers        TEXT NOT NULL,
    escalated_until  BIGINT,
    reminded_at      BIGINT,
    decision         TEXT,
    decided_by       TEXT,
    decided_at       BIGINT,
    comment          TEXT,
    outcome          TEXT
);
CREATE INDEX review_items_campaign ON review_items (campaign_id, decision);

CREATE TABLE exceptions (
    id                TEXT PRIMARY KEY,
    rule              TEXT NOT NULL,
    subjects          TEXT NOT NULL,
    reason            TEXT NOT NULL,
    valid_until       BIGINT NOT NULL,
    status            TEXT NOT NULL,
    emergency         BOOLEAN NOT NULL DEFAULT FALSE,
    requested_by      TEXT NOT NULL,
    requester_number  TEXT,
    requested_at      BIGINT NOT NULL,
    decided_by        TEXT,
    decided_at        BIGINT,
    decision_note     TEXT,
    reviewed_at       BIGINT,
    expired_noted_at  BIGINT
);

CREATE TABLE findings (
    key         TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    at          BIGINT NOT NULL,
    events      BIGINT NOT NULL,
    evidence    TEXT NOT NULL,
    detail      TEXT NOT NULL,
    found_at    BIGINT NOT NULL
);
CREATE INDEX findings_at ON findings (at);
