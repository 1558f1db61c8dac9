-- claim_deliveries_fair v1 (migration 1730000000002-fair-claims, issue 20): serves every endpoint with due
-- deliveries from its own index range and gives free slots to the org with the fewest attempts in flight first.
-- Claims are serialised by an advisory lock, so the in-flight counts it reads are exact (per endpoint, per org);
-- each endpoint has a token bucket (its delivery rate), kept on its row.
CREATE FUNCTION claim_deliveries_fair(p_limit int, p_per_endpoint int, p_per_org int, p_rate float8, p_burst float8, p_lease_seconds float8)
RETURNS TABLE (id text, lease_token text, attempts int, org_id text, endpoint_id text, message_id text, event_type text,
               body text, url text, enabled boolean, secret text, previous_secret text, correlation_id text)
LANGUAGE plpgsql
AS $fn$
#variable_conflict use_column
BEGIN
  -- One claim at a time across all replicas: the in-flight counts below are then exact, and so are the caps.
  PERFORM pg_advisory_xact_lock(hashtextextended('webhooks.claim_deliveries', 0));
  RETURN QUERY
  WITH RECURSIVE eps(endpoint_id) AS (
    -- endpoints with pending deliveries: one index probe each (loose index scan), whatever the backlog
    (SELECT d.endpoint_id FROM deliveries d WHERE d.status = 'pending' ORDER BY d.endpoint_id LIMIT 1)
    UNION ALL
    SELECT (SELECT d.endpoint_id FROM deliveries d WHERE d.status = 'pending' AND d.endpoint_id > eps.endpoint_id ORDER BY d.endpoint_id LIMIT 1)
      FROM eps WHERE eps.endpoint_id IS NOT NULL
  ), flying AS (
    SELECT d.endpoint_id, count(*)::int AS n FROM deliveries d
     WHERE d.status = 'pending' AND d.lease_token IS NOT NULL AND d.next_attempt_at > now()
     GROUP BY d.endpoint_id
  ), ep AS (
    SELECT e.id, e.org_id, coalesce(f.n, 0) AS busy,
           CASE WHEN p_rate <= 0 THEN p_limit::float8
                ELSE least(p_burst, coalesce(e.rate_tokens, p_burst) + p_rate * extract(epoch FROM now() - coalesce(e.rate_refilled_at, now())))
           END AS tokens
      FROM eps JOIN endpoints e ON e.id = eps.endpoint_id LEFT JOIN flying f ON f.endpoint_id = e.id
     WHERE eps.endpoint_id IS NOT NULL
  ), org_busy AS (
    SELECT e.org_id, sum(f.n)::int AS n FROM flying f JOIN endpoints e ON e.id = f.endpoint_id GROUP BY e.org_id
  ), cand AS (
    -- each endpoint offers its oldest due deliveries, as many as its concurrency cap and rate allow
    SELECT c.id, c.next_attempt_at, ep.id AS endpoint_id, ep.org_id
      FROM ep CROSS JOIN LATERAL (
        SELECT d.id, d.next_attempt_at FROM deliveries d
         WHERE d.endpoint_id = ep.id AND d.status = 'pending' AND d.next_attempt_at <= now()
         ORDER BY d.next_attempt_at
         LIMIT greatest(0, least(p_per_endpoint - ep.busy, floor(ep.tokens)::int, p_limit))
      ) c
  ), ranked AS (
    -- an org's k-th slot ranks after every org's (k-1)-th, counting what it has in flight already
    SELECT cand.id, cand.endpoint_id, cand.next_attempt_at,
           coalesce(ob.n, 0) + row_number() OVER (PARTITION BY cand.org_id ORDER BY cand.next_attempt_at) AS org_slot
      FROM cand LEFT JOIN org_busy ob ON ob.org_id = cand.org_id
  ), picked AS (
    SELECT r.id, r.endpoint_id FROM ranked r WHERE r.org_slot <= p_per_org ORDER BY r.org_slot, r.next_attempt_at LIMIT p_limit
  ), spent AS (
    UPDATE endpoints e SET rate_tokens = ep.tokens - s.n, rate_refilled_at = now()
      FROM (SELECT picked.endpoint_id, count(*)::int AS n FROM picked GROUP BY picked.endpoint_id) s JOIN ep ON ep.id = s.endpoint_id
     WHERE e.id = s.endpoint_id AND p_rate > 0
    RETURNING e.id
  )
  UPDATE deliveries d
     SET next_attempt_at = now() + make_interval(secs => p_lease_seconds),
         lease_token = gen_random_uuid()::text,
         attempts = d.attempts + 1,
         updated_at = now()
    FROM picked, endpoints e, messages m
   WHERE d.id = picked.id AND e.id = d.endpoint_id AND m.id = d.message_id AND d.status = 'pending' AND d.next_attempt_at <= now()
  RETURNING d.id, d.lease_token, d.attempts, d.org_id, d.endpoint_id, d.message_id, d.event_type, m.body, e.url, e.enabled, e.secret,
            CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END, d.correlation_id;
END
$fn$;
