-- PostgreSQL only (the audit group commit's batch as one function call; see the PostgreSQL migration
-- of the same name). SQLite appends in process, where a round trip costs nothing. This migration
-- keeps the two migration lists in step.
SELECT 1;
