-- Legal hold and retention deletion of audit records (R-LG-06, R-LG-01; issue 21).
-- A hold: a time range and the people or systems concerned, set by the CISO; while it is not
-- released, pruning stops before the first record of its range.
CREATE TABLE audit_holds (
    id             TEXT PRIMARY KEY NOT NULL,
    case_number    TEXT NOT NULL,
    reason         TEXT NOT NULL,
    from_at        INTEGER NOT NULL,
    until_at       INTEGER NOT NULL,
    subjects       TEXT NOT NULL,             -- JSON array of login IDs and system IDs; [] = everyone
    created_by     TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    released_by    TEXT,
    released_at    INTEGER,
    release_reason TEXT
);
CREATE INDEX audit_holds_active ON audit_holds (released_at, from_at);
-- Each pruning of the chain's prefix: the last deleted record's sequence number and hash, so the
-- chain that remains verifies from there (the same pair is sealed in the audit.pruned record).
CREATE TABLE audit_anchors (
    seq       INTEGER PRIMARY KEY NOT NULL,
    hash      TEXT NOT NULL,
    pruned_at INTEGER NOT NULL,
    pruned    INTEGER NOT NULL,
    pruned_by TEXT NOT NULL
);
-- audit_events stays append-only, except that a prefix up to the newest anchor may be deleted
-- (`tobira audit prune` writes the anchor first, in the same transaction).
DROP TRIGGER audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN OLD.seq > (SELECT COALESCE(MAX(seq), 0) FROM audit_anchors)
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
