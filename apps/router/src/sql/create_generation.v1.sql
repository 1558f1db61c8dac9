-- create_generation v1 (migration 1790000001000-create-generation-function): a create in one round trip
-- and one commit (issue "Performance"). Under the org's in-flight cap (when p_cap is not null) it takes
-- the org's advisory lock (the bucket admitUnderCap uses: 'router.in-flight:<org>'), counts what is
-- pending or processing with a snapshot taken after the lock, and refuses with SQLSTATE PV429 (DETAIL:
-- the count) at the cap. A retry under an Idempotency-Key already used returns that generation (replay,
-- also at the cap). Otherwise it inserts the generation and, when p_attempt is given, its first attempt
-- (attempt 1 on candidate p_attempt.next_candidate - 1, leased to p_lease_owner), and returns the row.
-- The caller tells created from replayed by the id it asked for.
CREATE FUNCTION create_generation(
  p_id text, p_org_id text, p_api text, p_requested_model text, p_request jsonb, p_candidates jsonb,
  p_app_title text, p_referer text, p_correlation_id text, p_estimated_cost_cents int,
  p_lease_ms float8, p_lease_owner text, p_idempotency_key text, p_idempotency_fingerprint text,
  p_key_id text, p_key_limit_cents bigint, p_key_limit_reset text, p_cap int, p_attempt jsonb
) RETURNS SETOF generations LANGUAGE plpgsql AS $$
DECLARE
  g generations;
  n int;
BEGIN
  IF p_idempotency_key IS NOT NULL THEN
    SELECT * INTO g FROM generations WHERE org_id = p_org_id AND api = p_api AND idempotency_key = p_idempotency_key;
    IF FOUND THEN RETURN NEXT g; RETURN; END IF;
  END IF;
  IF p_cap IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtextextended('router.in-flight:' || p_org_id, 0));
    SELECT count(*) INTO n FROM generations WHERE org_id = p_org_id AND status IN ('pending', 'processing');
    IF n >= p_cap THEN
      RAISE EXCEPTION 'in-flight cap reached' USING ERRCODE = 'PV429', DETAIL = n::text;
    END IF;
  END IF;
  INSERT INTO generations (id, org_id, api, status, requested_model, request, candidates, app_title, referer, correlation_id,
                           estimated_cost_cents, lease_until, lease_owner, idempotency_key, idempotency_fingerprint, key_id,
                           key_limit_cents, key_limit_reset, attempt, next_candidate)
  VALUES (p_id, p_org_id, p_api, 'pending', p_requested_model, p_request, p_candidates, p_app_title, p_referer, p_correlation_id,
          p_estimated_cost_cents, now() + make_interval(secs => p_lease_ms / 1000), p_lease_owner, p_idempotency_key,
          p_idempotency_fingerprint, p_key_id, p_key_limit_cents, p_key_limit_reset,
          CASE WHEN p_attempt IS NULL THEN 0 ELSE 1 END, coalesce((p_attempt->>'next_candidate')::int, 0))
  ON CONFLICT (org_id, api, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING * INTO g;
  IF NOT FOUND THEN
    -- A concurrent retry under the same key inserted first: answer with its generation.
    SELECT * INTO g FROM generations WHERE org_id = p_org_id AND api = p_api AND idempotency_key = p_idempotency_key;
    -- Gone again meanwhile (that create was refused and discarded): no row; the caller tries once more.
    IF FOUND THEN RETURN NEXT g; END IF;
    RETURN;
  END IF;
  IF p_attempt IS NOT NULL THEN
    INSERT INTO generation_attempts (generation_id, attempt, model, route_id, provider, hold_id, hold_cents, byok)
    VALUES (p_id, 1, p_attempt->>'model', p_attempt->>'route_id', p_attempt->>'provider', p_attempt->>'hold_id',
            (p_attempt->>'hold_cents')::int, coalesce((p_attempt->>'byok')::boolean, false));
  END IF;
  RETURN NEXT g;
END $$;
