-- The operator's console (issue 21).
-- A person's name in every spelling the search folds together (kanji, kana, romaji; see
-- tobira_domain::console::search), kept by the HR sync on every upsert of the person; filled for
-- people stored before this migration when the database is next migrated or served.
ALTER TABLE people ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
CREATE INDEX person_departments_department ON person_departments (department_code, person_id);
CREATE INDEX accounts_status_person ON accounts (status, person_id);
-- The audit-log page filters by person (actor or target), by time and by source address, newest
-- first by seq: each filter has an index ending in seq (target and action have theirs already).
CREATE INDEX audit_events_actor ON audit_events (actor, seq);
CREATE INDEX audit_events_occurred ON audit_events (occurred_at, seq);
CREATE INDEX audit_events_source ON audit_events (source_ip, seq);
