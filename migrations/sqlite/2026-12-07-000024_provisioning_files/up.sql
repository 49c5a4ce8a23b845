-- The file connector across the air gap (R-ZN-04): one row per numbered batch written for a file
-- system; its items (outbox ids) wait as `sent` until the zone side's receipt names each one.
CREATE TABLE provisioning_file_batches (
    system_id      TEXT NOT NULL,
    seq            BIGINT NOT NULL,
    items_json     TEXT NOT NULL,
    jsonl_sha256   TEXT NOT NULL,
    csv_sha256     TEXT NOT NULL,
    written_at     BIGINT NOT NULL,
    receipt_at     BIGINT,
    applied        BIGINT NOT NULL DEFAULT 0,
    failed         BIGINT NOT NULL DEFAULT 0,
    overdue_at     BIGINT,
    -- The three files (name → base64) until they are in out_dir: a round that stopped between the
    -- commit and the publication publishes them at the next round, byte for byte.
    unpublished_json TEXT,
    PRIMARY KEY (system_id, seq)
);
