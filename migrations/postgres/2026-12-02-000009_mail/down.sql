DROP INDEX notifications_pending;
ALTER TABLE notifications DROP COLUMN undeliverable_at;
ALTER TABLE notifications DROP COLUMN next_attempt_at;
ALTER TABLE notifications DROP COLUMN last_error;
ALTER TABLE notifications DROP COLUMN attempts;
