ALTER TABLE people DROP COLUMN department_name;
ALTER TABLE grants DROP COLUMN review_flag;
DROP TABLE sync_runs;
