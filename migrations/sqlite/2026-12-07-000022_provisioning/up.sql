-- Provisioning to business systems (R-LC-01, R-LC-03, R-LC-08). A link is what tobira last queued
-- for an account at a system; the outbox holds the changes to push, written in the same
-- transaction as the change that caused them, delivered per system and per person in order.
CREATE TABLE provisioning_links (
    system_id        TEXT NOT NULL,
    account_id       TEXT NOT NULL,
    state            TEXT NOT NULL,
    sent_json        TEXT NOT NULL,
    removable_since  BIGINT,
    remote_id        TEXT,
    last_seq         BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (system_id, account_id)
);
CREATE TABLE provisioning_outbox (
    id               TEXT PRIMARY KEY,
    system_id        TEXT NOT NULL,
    account_id       TEXT NOT NULL,
    seq              BIGINT NOT NULL,
    event            TEXT NOT NULL,
    why              TEXT NOT NULL,
    resource_json    TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    done_at          BIGINT,
    UNIQUE (system_id, account_id, seq)
);
CREATE INDEX provisioning_outbox_queue ON provisioning_outbox (system_id, status, created_at);
