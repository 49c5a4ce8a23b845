-- PostgreSQL only (the audit group commit's function answers the head it found; see the PostgreSQL
-- migration of the same name). This migration keeps the two migration lists in step.
SELECT 1;
