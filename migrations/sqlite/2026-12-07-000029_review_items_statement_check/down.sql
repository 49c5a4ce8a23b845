-- PostgreSQL only (the foreign key of review_items.campaign_id checked once per statement instead of
-- once per row; see the PostgreSQL migration of the same name). SQLite keeps its foreign key, which
-- costs little there (BENCHMARKS.md). This migration keeps the two migration lists in step.
SELECT 1;
