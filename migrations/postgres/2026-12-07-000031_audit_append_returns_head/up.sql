-- tobira_audit_append (migration 30) also answers, when the head had moved, the head it found under
-- the chain lock: the caller seals its batch again after that head and calls once more, one round
-- trip, instead of taking the four-round-trip locked path (src/store/audit_group.rs). Returns one
-- row: how many were inserted (all or 0) and the head after the call (the last inserted row, or the
-- newest record found).
DROP FUNCTION tobira_audit_append(BIGINT, BIGINT, BIGINT, BIGINT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[]);
CREATE FUNCTION tobira_audit_append(p_lock_key BIGINT, p_at BIGINT, p_known BIGINT, p_seqs BIGINT[], p_actors TEXT[],
    p_actions TEXT[], p_targets TEXT[], p_outcomes TEXT[], p_source_ips TEXT[], p_request_ids TEXT[], p_details TEXT[],
    p_prev_hashes TEXT[], p_hashes TEXT[], OUT n BIGINT, OUT head_seq BIGINT, OUT head_hash TEXT) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(p_lock_key);
  SELECT e.seq, e.hash INTO head_seq, head_hash FROM audit_events e ORDER BY e.seq DESC LIMIT 1;
  IF head_seq IS NOT NULL AND head_seq > p_known THEN
    n := 0;
    RETURN;
  END IF;
  INSERT INTO audit_events (seq, occurred_at, actor, action, target, outcome, source_ip, request_id, details, prev_hash, hash)
    SELECT r.seq, p_at, r.actor, r.action, r.target, r.outcome, r.source_ip, r.request_id, r.details, r.prev_hash, r.hash
    FROM unnest(p_seqs, p_actors, p_actions, p_targets, p_outcomes, p_source_ips, p_request_ids, p_details, p_prev_hashes, p_hashes)
      AS r(seq, actor, action, target, outcome, source_ip, request_id, details, prev_hash, hash);
  GET DIAGNOSTICS n = ROW_COUNT;
  head_seq := p_seqs[array_upper(p_seqs, 1)];
  head_hash := p_hashes[array_upper(p_hashes, 1)];
END $$;
