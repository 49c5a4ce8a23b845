-- The console's search (issue 21) looks for part of a name (`search_key LIKE '%…%'`) and part of a
-- login ID (`login_id LIKE '%…%'`): without an index each search reads every person and every
-- account. pg_trgm's GIN indexes answer both from the index for terms of three characters or more.
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension, so the database's owner may
-- create it; where it is missing or the role may not create it, the search still works by scanning,
-- and this migration does not fail (docs/operations.md).
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
  RAISE NOTICE 'pg_trgm is not available (%): the console search scans people and accounts', SQLERRM;
END $$;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    CREATE INDEX IF NOT EXISTS people_search_key_trgm ON people USING gin (search_key gin_trgm_ops);
    CREATE INDEX IF NOT EXISTS accounts_login_id_trgm ON accounts USING gin (login_id gin_trgm_ops);
  END IF;
END $$;
