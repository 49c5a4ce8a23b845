-- Who may use each shared ID (共用ID), with the permission behind it (R-AU-08): when a user moves on,
-- the HR sync removes them and makes the shared ID's password due.
CREATE TABLE shared_id_users (
    id                 TEXT PRIMARY KEY,
    shared_account_id  TEXT NOT NULL REFERENCES accounts (id),
    person_id          TEXT NOT NULL REFERENCES people (id),
    permitted_by       TEXT NOT NULL,
    added_by           TEXT NOT NULL,
    added_at           BIGINT NOT NULL,
    removed_at         BIGINT,
    removed_by         TEXT,
    removed_reason     TEXT
);
CREATE INDEX shared_id_users_account ON shared_id_users (shared_account_id, removed_at);
CREATE INDEX shared_id_users_person ON shared_id_users (person_id, removed_at);
