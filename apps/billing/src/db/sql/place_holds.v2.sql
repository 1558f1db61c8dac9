-- place_holds v2 (migration 1710000000200-org-receivables): as v1, plus: an org that owes gets no hold, not
-- even a zero one (creates are refused until a top-up settles the receivable), and every answer carries the
-- owed amount (r_owed) so the refusal can say what to pay.
CREATE FUNCTION place_holds(p_orgs text[], p_holds text[], p_generations text[], p_amounts bigint[])
RETURNS TABLE (r_idx int, r_outcome text, r_org text, r_amount bigint, r_available bigint, r_held bigint, r_owed bigint)
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
      SELECT CASE WHEN h.placed THEN 'existing' ELSE 'tombstone' END, h.org_id, h.amount_cents, ob.available_cents, ob.held_cents, ob.owed_cents
        INTO r_outcome, r_org, r_amount, r_available, r_held, r_owed
        FROM (SELECT coalesce(max(available_cents), 0::bigint) AS available_cents, coalesce(max(held_cents), 0::bigint) AS held_cents,
                     coalesce(max(owed_cents), 0::bigint) AS owed_cents FROM org_balances WHERE org_id = h.org_id) ob;
      RETURN NEXT;
      CONTINUE;
    END IF;
    IF v_amount = 0 THEN PERFORM ensure_org(v_org); END IF;
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
    INSERT INTO holds (hold_id, org_id, generation_id, amount_cents, status) VALUES (v_hold, v_org, p_generations[i], v_amount, 'open')
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
