-- place_holds v4 (migration 1800000000200-key-spend-refunds): a key's spend counts what its holds charged
-- net of what was refunded (`holds.refunded_cents`, set when a generation's charge is refunded), whatever the
-- hold's status; open holds still count their amount. v3 counted captured holds' charge only: a refunded
-- token charge kept using up the key's limit, and tokens charged on a released hold (after a cancel) none.
-- Everything else as v3:
-- place_holds v3 (migration 1710000000300-key-spend-limits): key limits. `p_keys[i]` (nullable) tags the hold
-- with its key; with `p_limits[i]` and `p_windows[i]` (the limit and its window start) the hold is refused as
-- `key_limit` beyond the limit, answering the key's spend in the window as `r_key_spent`. Everything else as v2.
CREATE OR REPLACE FUNCTION place_holds(p_orgs text[], p_holds text[], p_generations text[], p_amounts bigint[],
                                     p_keys text[], p_limits bigint[], p_windows timestamptz[])
RETURNS TABLE (r_idx int, r_outcome text, r_org text, r_amount bigint, r_available bigint, r_held bigint, r_owed bigint, r_key_spent bigint)
LANGUAGE plpgsql AS $$
DECLARE
  b org_balances%ROWTYPE;
  h holds%ROWTYPE;
  tx bigint;
  i int;
  v_org text;
  v_hold text;
  v_amount bigint;
  v_spent bigint;
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_holds, 1), 0) LOOP
    v_org := p_orgs[i];
    v_hold := p_holds[i];
    v_amount := p_amounts[i];
    r_idx := i;
    r_key_spent := NULL;
    SELECT * INTO h FROM holds WHERE hold_id = v_hold;
    IF FOUND THEN
      SELECT CASE WHEN h.placed THEN 'existing' ELSE 'tombstone' END, h.org_id, h.amount_cents, ob.available_cents, ob.held_cents, ob.owed_cents
        INTO r_outcome, r_org, r_amount, r_available, r_held, r_owed
        FROM (SELECT coalesce(max(available_cents), 0::bigint) AS available_cents, coalesce(max(held_cents), 0::bigint) AS held_cents,
                     coalesce(max(owed_cents), 0::bigint) AS owed_cents FROM org_balances WHERE org_id = h.org_id) ob;
      RETURN NEXT;
      CONTINUE;
    END IF;
    IF v_amount = 0 THEN PERFORM ensure_org(v_org); END IF;
    IF p_keys[i] IS NOT NULL AND p_limits[i] IS NOT NULL THEN
      -- The org's lock first (the lock order everywhere), then the key's spend: holds of one key
      -- queue here, and each statement sees the holds committed before it took the lock.
      PERFORM 1 FROM org_balances WHERE org_id = v_org FOR UPDATE;
      SELECT coalesce(sum(CASE WHEN status = 'open' THEN amount_cents ELSE charged_cents - refunded_cents END), 0)::bigint INTO v_spent
        FROM holds WHERE key_id = p_keys[i] AND placed AND created_at >= p_windows[i];
      IF v_spent + v_amount > p_limits[i] THEN
        SELECT 'key_limit', v_org, v_amount, ob.available_cents, ob.held_cents, ob.owed_cents, v_spent
          INTO r_outcome, r_org, r_amount, r_available, r_held, r_owed, r_key_spent
          FROM (SELECT coalesce(max(available_cents), 0::bigint) AS available_cents, coalesce(max(held_cents), 0::bigint) AS held_cents,
                       coalesce(max(owed_cents), 0::bigint) AS owed_cents FROM org_balances WHERE org_id = v_org) ob;
        RETURN NEXT;
        CONTINUE;
      END IF;
      r_key_spent := v_spent;
    END IF;
    UPDATE org_balances SET available_cents = available_cents - v_amount, held_cents = held_cents + v_amount, updated_at = now()
      WHERE org_id = v_org AND available_cents >= v_amount AND owed_cents = 0
      RETURNING * INTO b;
    IF NOT FOUND THEN
      SELECT 'insufficient', v_org, v_amount, ob.available_cents, ob.held_cents, ob.owed_cents
        INTO r_outcome, r_org, r_amount, r_available, r_held, r_owed
        FROM (SELECT coalesce(max(available_cents), 0::bigint) AS available_cents, coalesce(max(held_cents), 0::bigint) AS held_cents,
                     coalesce(max(owed_cents), 0::bigint) AS owed_cents FROM org_balances WHERE org_id = v_org) ob;
      RETURN NEXT;
      CONTINUE;
    END IF;
    INSERT INTO holds (hold_id, org_id, generation_id, amount_cents, status, key_id) VALUES (v_hold, v_org, p_generations[i], v_amount, 'open', p_keys[i])
      ON CONFLICT (hold_id) DO NOTHING;
    IF NOT FOUND THEN
      -- An identical request won the race: give the reservation back and answer as its replay.
      UPDATE org_balances SET available_cents = available_cents + v_amount, held_cents = held_cents - v_amount
        WHERE org_id = v_org RETURNING * INTO b;
      SELECT * INTO h FROM holds WHERE hold_id = v_hold;
      r_outcome := CASE WHEN h.placed THEN 'existing' ELSE 'tombstone' END;
      r_org := h.org_id; r_amount := h.amount_cents; r_available := b.available_cents; r_held := b.held_cents; r_owed := b.owed_cents;
      RETURN NEXT;
      CONTINUE;
    END IF;
    IF v_amount > 0 THEN
      INSERT INTO ledger_transactions (idempotency_key, kind, org_id, generation_id, hold_id, amount_cents)
        VALUES ('hold:' || v_hold, 'hold', v_org, p_generations[i], v_hold, v_amount) RETURNING id INTO tx;
      INSERT INTO ledger_entries (transaction_id, account_id, amount_cents)
        VALUES (tx, b.available_account_id, -v_amount), (tx, b.held_account_id, v_amount);
    END IF;
    r_outcome := 'placed'; r_org := v_org; r_amount := v_amount; r_available := b.available_cents; r_held := b.held_cents; r_owed := b.owed_cents;
    RETURN NEXT;
  END LOOP;
END $$;
