DROP FUNCTION tobira_audit_append(BIGINT, BIGINT, BIGINT, BIGINT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[], TEXT[]);
CREATE FUNCTION tobira_audit_append(p_lock_key BIGINT, p_at BIGINT, p_known BIGINT, p_seqs BIGINT[], p_actors TEXT[],
    p_actions TEXT[], p_targets TEXT[], p_outcomes TEXT[], p_source_ips TEXT[], p_request_ids TEXT[], p_details TEXT[],
    p_prev_hashes TEXT[], p_hashes TEXT[]) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
  inserted BIGINT;
BEGIN
  PERFORM pg_advisory_xact_lock(p_lock_key);
  IF COALESCE((SELECT max(e.seq) FROM audit_events e), p_known) > p_known THEN
    RETURN 0;
  END IF;
  INSERT INTO audit_events (seq, occurred_at, actor, action, target, outcome, source_ip, request_id, details, prev_hash, hash)
    SELECT r.seq, p_at, r.actor, r.action, r.target, r.outcome, r.source_ip, r.request_id, r.details, r.prev_hash, r.hash
    FROM unnest(p_seqs, p_actors, p_actions, p_targets, p_outcomes, p_source_ips, p_request_ids, p_details, p_prev_hashes, p_hashes)
      AS r(seq, actor, action, target, outcome, source_ip, request_id, details, prev_hash, hash);
  GET DIAGNOSTICS inserted = ROW_COUNT;
  RETURN inserted;
END $$;
