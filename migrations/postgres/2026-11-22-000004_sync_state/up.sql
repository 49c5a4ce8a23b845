-- Small durable state of jobs, e.g. the HR sync's high-water mark (the newest modifyTimestamp applied).
CREATE TABLE sync_state (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
