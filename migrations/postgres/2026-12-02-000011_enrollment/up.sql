-- Enrollment links for joiners (R-AU-06): a single-use link with which a person whose account the
-- HR sync created (or whose link an officer re-issued) chooses their own password. The token is
-- kept only as its SHA-256 (a 256-bit random value needs no slow hash) and, until the mail that
-- carries it is sent, sealed with the master key; the sealed copy is erased (NULL) once the mail is
-- sent or given up, and when the link is used, revoked or expires. Rows are never deleted.
CREATE TABLE enrollment_links (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    token_hash   TEXT NOT NULL,
    token_sealed TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT,
    revoked_at   BIGINT,
    issued_by    TEXT NOT NULL
);
CREATE UNIQUE INDEX enrollment_links_token_hash ON enrollment_links (token_hash);
CREATE INDEX enrollment_links_account ON enrollment_links (account_id);
