-- Mail delivery of the notification outbox: how often a notification was tried, why the last try
-- failed (the SMTP server's reply or the connection error; never a secret), when the next try is
-- due, and when it was given up as undeliverable (no address, refused, or out of attempts).
ALTER TABLE notifications ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notifications ADD COLUMN last_error TEXT;
ALTER TABLE notifications ADD COLUMN next_attempt_at BIGINT;
ALTER TABLE notifications ADD COLUMN undeliverable_at BIGINT;
CREATE INDEX notifications_pending ON notifications (sent_at, undeliverable_at, created_at);
