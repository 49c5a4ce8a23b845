-- 存在 (presence) counts only for a key whose attestation was verified at registration against the
-- attestation roots the city ships with its policy (R-AU-02); keys registered before are unattested.
ALTER TABLE webauthn_credentials ADD COLUMN attested BOOLEAN NOT NULL DEFAULT FALSE;
