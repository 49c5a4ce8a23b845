DROP INDEX IF EXISTS accounts_login_id_trgm;
DROP INDEX IF EXISTS people_search_key_trgm;
-- The extension stays: other objects of the database may use it.
