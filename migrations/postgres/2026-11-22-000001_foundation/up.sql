-- tobira foundation schema (PostgreSQL). Times are UTC milliseconds since the Unix epoch (BIGINT),
-- identical on both backends so audit hashes do not depend on the database. Ids are UUID text.

CREATE TABLE departments (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_kana   TEXT,
    parent_code TEXT REFERENCES departments (code),
    body        TEXT,                        -- 内部部局, 行政委員会, 議会事務局, 消防 … (R-LC-10)
    updated_at  BIGINT NOT NULL
);

CREATE TABLE people (
    id                TEXT PRIMARY KEY,
    employee_number   TEXT NOT NULL UNIQUE,
    directory_key     TEXT UNIQUE,           -- entryUUID / objectGUID
    name_kanji        TEXT NOT NULL,
    name_kana         TEXT NOT NULL,
    name_romaji       TEXT,
    post_title        TEXT,
    employment_type   TEXT NOT NULL,
    status            TEXT NOT NULL,
    is_head_of_section BOOLEAN NOT NULL DEFAULT FALSE,
    start_date        TEXT,                  -- YYYY-MM-DD
    end_date          TEXT,
    secondment_target TEXT,
    contract_id       TEXT,
    mail              TEXT,
    updated_at        BIGINT NOT NULL
);

CREATE TABLE person_departments (
    person_id       TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    department_code TEXT NOT NULL REFERENCES departments (code),
    membership      TEXT NOT NULL,           -- primary | concurrent (兼務)
    PRIMARY KEY (person_id, department_code)
);

CREATE TABLE accounts (
    id                   TEXT PRIMARY KEY,
    login_id             TEXT NOT NULL UNIQUE,
    person_id            TEXT REFERENCES people (id),
    status               TEXT NOT NULL,      -- active | suspended | disabled | deleted
    status_reason        TEXT,
    status_since         BIGINT NOT NULL,
    is_privileged        BOOLEAN NOT NULL DEFAULT FALSE,
    is_shared            BOOLEAN NOT NULL DEFAULT FALSE,
    is_vendor            BOOLEAN NOT NULL DEFAULT FALSE,
    is_development       BOOLEAN NOT NULL DEFAULT FALSE,
    expires_at           BIGINT,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    last_login_at        BIGINT,
    last_logout_at       BIGINT,
    created_at           BIGINT NOT NULL,
    deletion_due_at      BIGINT
);
CREATE INDEX accounts_person ON accounts (person_id);

CREATE TABLE systems (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    owner_employee_number TEXT NOT NULL,
    owner_title          TEXT NOT NULL,
    zone                 TEXT NOT NULL,      -- R-ZN-01
    classification       TEXT NOT NULL,      -- R-ZN-02, on the municipality's scale
    important            BOOLEAN NOT NULL DEFAULT FALSE,
    cloud                BOOLEAN NOT NULL DEFAULT FALSE,
    approval_status      TEXT NOT NULL,      -- R-AC-10
    approved_by          TEXT,
    approved_on          TEXT,
    client_secret_digest TEXT,
    redirect_uris        TEXT NOT NULL DEFAULT '[]',
    in_policy            BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at           BIGINT NOT NULL
);

CREATE TABLE roles (
    id         TEXT PRIMARY KEY,
    system_id  TEXT NOT NULL REFERENCES systems (id),
    name       TEXT NOT NULL,
    privileged BOOLEAN NOT NULL DEFAULT FALSE,
    in_policy  BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at BIGINT NOT NULL
);

CREATE TABLE grants (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    role_id        TEXT NOT NULL REFERENCES roles (id),
    source         TEXT NOT NULL,            -- birthright | request | elevation | delegate | bootstrap
    valid_from     BIGINT NOT NULL,
    valid_until    BIGINT,
    requested_by   TEXT REFERENCES accounts (id),
    approved_by    TEXT REFERENCES accounts (id),
    reason         TEXT,
    created_at     BIGINT NOT NULL,
    revoked_at     BIGINT,
    revoked_reason TEXT
);
CREATE INDEX grants_account ON grants (account_id);
CREATE INDEX grants_role ON grants (role_id);

CREATE TABLE password_credentials (
    account_id   TEXT PRIMARY KEY REFERENCES accounts (id),
    hash         TEXT NOT NULL,              -- argon2id PHC string
    is_temporary BOOLEAN NOT NULL,
    set_at       BIGINT NOT NULL,
    expires_at   BIGINT
);

CREATE TABLE password_history (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    hash       TEXT NOT NULL,
    set_at     BIGINT NOT NULL
);
CREATE INDEX password_history_account ON password_history (account_id);

CREATE TABLE totp_credentials (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    name             TEXT NOT NULL,
    secret_encrypted TEXT NOT NULL,          -- AES-256-GCM under the master key
    created_at       BIGINT NOT NULL,
    last_used_step   BIGINT
);

CREATE TABLE webauthn_credentials (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    name            TEXT NOT NULL,
    credential_json TEXT NOT NULL,
    aaguid          TEXT,
    created_at      BIGINT NOT NULL,
    last_used_at    BIGINT
);

CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,         -- SHA-256 of the cookie value, never the value
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    created_at     BIGINT NOT NULL,
    last_seen_at   BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    factors        TEXT NOT NULL DEFAULT '[]',
    privileged     BOOLEAN NOT NULL DEFAULT FALSE,
    source_ip      TEXT,
    user_agent     TEXT,
    revoked_at     BIGINT,
    revoked_reason TEXT
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE signing_keys (
    kid                   TEXT PRIMARY KEY,
    alg                   TEXT NOT NULL,     -- ES256 | EdDSA
    private_key_encrypted TEXT NOT NULL,     -- PKCS#8 under the master key
    public_key            TEXT NOT NULL,     -- base64url raw public key
    created_at            BIGINT NOT NULL,
    retired_at            BIGINT
);

-- The audit log (R-LG-01, R-LG-02): append-only, hash-chained.
CREATE TABLE audit_events (
    seq         BIGINT PRIMARY KEY,
    occurred_at BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    source_ip   TEXT,
    request_id  TEXT,
    details     TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX audit_events_action ON audit_events (action, seq);

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();
