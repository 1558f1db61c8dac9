-- rate_lease v1 (migration 1700000002200-sliding-rate-leases): sliding-window token leases in one round trip.
-- The allowance of the current window is the limit minus the previous window's count weighted by how much of it
-- still lies inside the last minute; the row lock makes concurrent leases exact.
CREATE FUNCTION rate_lease(p_bucket text, p_tokens int, p_window int, p_limit int,
                           OUT granted int, OUT leased int, OUT previous int, OUT win_start float8, OUT now_s float8)
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_start timestamptz := to_timestamp(floor(extract(epoch FROM v_now) / p_window) * p_window);
  v_allow int;
  v_count int;
BEGIN
  SELECT coalesce(max(c.count), 0) INTO previous FROM rate_limit_counters c
   WHERE c.bucket = p_bucket AND c.window_start = v_start - make_interval(secs => p_window);
  v_allow := p_limit - floor(previous * (1 - extract(epoch FROM v_now - v_start) / p_window))::int;
  INSERT INTO rate_limit_counters (bucket, window_start, count) VALUES (p_bucket, v_start, 0)
    ON CONFLICT (bucket, window_start) DO NOTHING;
  SELECT c.count INTO v_count FROM rate_limit_counters c WHERE c.bucket = p_bucket AND c.window_start = v_start FOR UPDATE;
  granted := least(p_tokens, greatest(0, v_allow - v_count));
  leased := v_count + granted;
  IF granted > 0 THEN
    UPDATE rate_limit_counters c SET count = leased WHERE c.bucket = p_bucket AND c.window_start = v_start;
  END IF;
  win_start := extract(epoch FROM v_start);
  now_s := extract(epoch FROM v_now);
END $$;
