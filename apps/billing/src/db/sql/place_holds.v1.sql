-- place_holds v1 (migration 1710000000000-create-ledger). The hot path: a batch of holds in one round trip and
-- one commit (the Ledger coalesces concurrent placements). Items are processed in the given order, which callers
-- sort by org so that concurrent batches lock org rows in the same order (no deadlocks); each item behaves
-- exactly as if placed alone. Lock order everywhere: the org's balance row first.
-- Outcomes: placed | existing (same holdId already placed: a replay) | insufficient | tombstone.
CREATE FUNCTION place_holds(p_orgs text[], p_holds text[], p_generations text[], p_amounts bigint[])
RETURNS TABLE (r_idx int, r_outcome text, r_org text, r_amount bigint, r_available bigint, r_held bigint)
LANGUAGE plpgsql AS $$
DECLARE
  b org_balances%ROWTYPE;
  h holds%ROWTYPE;
  tx bigint;
  i int;
  v_org text;
  v_hold text;
  v_amount bigint;
BEGIN
  FOR i IN 1 .. coalesce(array_length(p_holds, 1), 0) LOOP
    v_org := p_orgs[i];
    v_hold := p_holds[i];
    v_amount := p_amounts[i];
    r_idx := i;
    SELECT * INTO h FROM holds WHERE hold_id = v_hold;
    IF FOUND THEN
      SELECT CASE WHEN h.placed THEN 'existing' ELSE 'tombstone' END, h.org_id, h.amount_cents,
             coalesce((SELECT available_cents FROM org_balances WHERE org_id = h.org_id), 0::bigint),
             coalesce((SELECT held_cents FROM org_balances WHERE org_id = h.org_id), 0::bigint)
        INTO r_outcome, r_org, r_amount, r_available, r_held;
      RETURN NEXT;
      CONTINUE;
    END IF;
    IF v_amount = 0 THEN PERFORM ensure_org(v_org); END IF;
    UPDATE org_balances SET available_cents = available_cents - v_amount, held_cents = held_cents + v_amount, updated_at = now()
      WHERE org_id = v_org AND available_cents >= v_amount
      RETURNING * INTO b;
    IF NOT FOUND THEN
      SELECT 'insufficient', v_org, v_amount,
             coalesce((SELECT available_cents FROM org_balances WHERE org_id = v_org), 0::bigint),
             coalesce((SELECT held_cents FROM org_balances WHERE org_id = v_org), 0::bigint)
        INTO r_outcome, r_org, r_amount, r_available, r_held;
      RETURN NEXT;
      CONTINUE;
    END IF;
    INSERT INTO holds (hold_id, org_id, generation_id, amount_cents, status) VALUES (v_hold, v_org, p_generations[i], v_amount, 'open')
      ON CONFLICT (hold_id) DO NOTHING;
    IF NOT FOUND THEN
      -- An identical request won the race: give the reservation back and answer as its replay.
      UPDATE org_balances SET available_cents = available_cents + v_amount, held_cents = held_cents - v_amount
        WHERE org_id = v_org RETURNING * INTO b;
      SELECT * INTO h FROM holds WHERE hold_id = v_hold;
      r_outcome := CASE WHEN h.placed THEN 'existing' ELSE 'tombstone' END;
      r_org := h.org_id; r_amount := h.amount_cents; r_available := b.available_cents; r_held := b.held_cents;
      RETURN NEXT;
      CONTINUE;
    END IF;
    IF v_amount > 0 THEN
      INSERT INTO ledger_transactions (idempotency_key, kind, org_id, generation_id, hold_id, amount_cents)
        VALUES ('hold:' || v_hold, 'hold', v_org, p_generations[i], v_hold, v_amount) RETURNING id INTO tx;
      INSERT INTO ledger_entries (transaction_id, account_id, amount_cents)
        VALUES (tx, b.available_account_id, -v_amount), (tx, b.held_account_id, v_amount);
    END IF;
    r_outcome := 'placed'; r_org := v_org; r_amount := v_amount; r_available := b.available_cents; r_held := b.held_cents;
    RETURN NEXT;
  END LOOP;
END $$;
