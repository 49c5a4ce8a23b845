-- Privileged IDs (R-PR-01…R-PR-09): eligibility named by a system's owner, time-limited elevations
-- with their approvals, delegates (代行者) and the notifications their approval sends.
CREATE TABLE privileged_eligibility (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    role_id     TEXT NOT NULL,
    system_id   TEXT NOT NULL,
    granted_by  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    revoked_by  TEXT
);
CREATE INDEX privileged_eligibility_system ON privileged_eligibility (system_id);
CREATE INDEX privileged_eligibility_account ON privileged_eligibility (account_id);

CREATE TABLE elevations (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    role_id         TEXT NOT NULL,
    system_id       TEXT NOT NULL,
    minutes         INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    ticket          TEXT NOT NULL,
    break_glass     BOOLEAN NOT NULL DEFAULT FALSE,
    review_required BOOLEAN NOT NULL DEFAULT FALSE,
    status          TEXT NOT NULL,
    requested_at    BIGINT NOT NULL,
    lapses_at       BIGINT NOT NULL,
    decided_by      TEXT,
    decided_at      BIGINT,
    decision_note   TEXT,
    starts_at       BIGINT,
    ends_at         BIGINT,
    grant_id        TEXT,
    ended_reason    TEXT,
    reviewed_by     TEXT,
    reviewed_at     BIGINT
);
CREATE INDEX elevations_status ON elevations (status);
CREATE INDEX elevations_account ON elevations (account_id);

CREATE TABLE delegations (
    id                       TEXT PRIMARY KEY,
    principal                TEXT NOT NULL,
    delegate_employee_number TEXT NOT NULL,
    nominated_by             TEXT NOT NULL,
    reason                   TEXT NOT NULL,
    valid_from               BIGINT NOT NULL,
    valid_until              BIGINT NOT NULL,
    status                   TEXT NOT NULL,
    decided_by               TEXT,
    decided_at               BIGINT,
    created_at               BIGINT NOT NULL
);
CREATE INDEX delegations_delegate ON delegations (delegate_employee_number);

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    recipient  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at    BIGINT
);
CREATE INDEX notifications_unsent ON notifications (sent_at);

-- Development IDs (R-LC-06): who is responsible, who works under it, until when.
CREATE TABLE development_ids (
    account_id  TEXT PRIMARY KEY REFERENCES accounts (id),
    responsible TEXT NOT NULL,
    worker      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
