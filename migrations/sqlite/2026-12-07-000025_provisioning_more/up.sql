-- The last reconciliation of each provisioned system (R-LC-04), on demand or on the schedule, for
-- the console and `tobira provisioning status`; and the SCIM Groups tobira made for a system's
-- roles (`roles_as = "groups"`).
CREATE TABLE provisioning_reconciliations (
    system_id      TEXT PRIMARY KEY,
    ran_at         BIGINT NOT NULL,
    actor          TEXT NOT NULL,
    repair         BOOLEAN NOT NULL,
    listed         BIGINT NOT NULL,
    foreign_users  BIGINT NOT NULL,
    orphans        BIGINT NOT NULL,
    missing        BIGINT NOT NULL,
    wrong          BIGINT NOT NULL,
    held           TEXT NOT NULL,
    queued         BIGINT NOT NULL,
    error          TEXT
);
CREATE TABLE provisioning_groups (
    system_id      TEXT NOT NULL,
    role_id        TEXT NOT NULL,
    remote_id      TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (system_id, role_id)
);
