DROP INDEX audit_events_source;
DROP INDEX audit_events_occurred;
DROP INDEX audit_events_actor;
DROP INDEX accounts_status_person;
DROP INDEX person_departments_department;
ALTER TABLE people DROP COLUMN search_key;
