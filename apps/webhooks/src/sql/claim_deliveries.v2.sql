-- claim_deliveries v2 (migration 1730000000001-delivery-correlation-id): as v1, also returning the delivery's
-- correlation_id as its last column. Replaced by claim_deliveries_fair (1730000000002); kept for that migration's down.
CREATE FUNCTION claim_deliveries(p_limit int, p_busy_endpoints text[], p_busy_counts int[], p_per_endpoint int, p_lease_seconds float8)
RETURNS TABLE (id text, lease_token text, attempts int, org_id text, endpoint_id text, message_id text, event_type text,
               body text, url text, enabled boolean, secret text, previous_secret text, correlation_id text)
LANGUAGE plpgsql
SET enable_bitmapscan = off
SET enable_seqscan = off
AS $fn$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  WITH busy AS (
    SELECT * FROM unnest(p_busy_endpoints, p_busy_counts) AS b(endpoint_id, n)
  ), cand AS (
    -- endpoints already at their cap in the calling worker are skipped in the index walk itself
    SELECT d.id, d.endpoint_id, d.next_attempt_at FROM deliveries d
     WHERE d.status = 'pending' AND d.next_attempt_at <= now()
       AND NOT (d.endpoint_id = ANY(ARRAY(SELECT b.endpoint_id FROM busy b WHERE b.n >= p_per_endpoint)))
     ORDER BY d.next_attempt_at
     LIMIT p_limit * 4
     FOR UPDATE SKIP LOCKED
  ), picked AS (
    SELECT r.id FROM (
      SELECT c.id, c.next_attempt_at, row_number() OVER (PARTITION BY c.endpoint_id ORDER BY c.next_attempt_at) AS rn, c.endpoint_id FROM cand c
    ) r LEFT JOIN busy b ON b.endpoint_id = r.endpoint_id
    WHERE r.rn + coalesce(b.n, 0) <= p_per_endpoint
    ORDER BY r.next_attempt_at LIMIT p_limit
  )
  UPDATE deliveries d
     SET next_attempt_at = now() + make_interval(secs => p_lease_seconds),
         lease_token = gen_random_uuid()::text,
         attempts = d.attempts + 1,
         updated_at = now()
    FROM picked, endpoints e, messages m
   WHERE d.id = picked.id AND e.id = d.endpoint_id AND m.id = d.message_id
  RETURNING d.id, d.lease_token, d.attempts, d.org_id, d.endpoint_id, d.message_id, d.event_type, m.body, e.url, e.enabled, e.secret,
            CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END, d.correlation_id;
END
$fn$;
