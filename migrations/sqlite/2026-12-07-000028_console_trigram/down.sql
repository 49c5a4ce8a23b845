-- PostgreSQL only (trigram indexes for the console's search, see the PostgreSQL migration of the same
-- name). SQLite has no trigram index; its search scans 20,000 search keys within the console's
-- targets (BENCHMARKS.md). This migration keeps the two migration lists in step.
SELECT 1;
