-- Onboarding acknowledgements (R-LC-11, issue 21): each confirmation of the city's rules by the
-- person (with the rules version and the SHA-256 of the text they were shown) and each new-hire
-- training an officer recorded. Rows are never updated or deleted; the newest decides.
CREATE TABLE onboarding_records (
    id            TEXT PRIMARY KEY NOT NULL,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    kind          TEXT NOT NULL,              -- 'rules' | 'training'
    rules_version TEXT,
    text_sha256   TEXT,
    recorded_at   INTEGER NOT NULL,
    recorded_by   TEXT NOT NULL,              -- the login ID of who recorded it
    note          TEXT
);
CREATE INDEX onboarding_records_account ON onboarding_records (account_id, kind, recorded_at);
