import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ENSURE_ORG_V1, PLACE_HOLDS_V1 } from './1710000000000-create-ledger';

/**
 * An org can owe. Usage the org could not cover, and credits Stripe took back after they were spent
 * or while they were held, used to be booked to `platform:writeoff` (the platform absorbed them). Now
 * they go to a per-org receivable account `org:<orgId>:owed` (kind `org_receivable`; its balance is
 * minus what the org owes) with a cached `org_balances.owed_cents` updated in the same transaction as
 * its entries. Anything that credits the org afterwards (top-up, release, refund, dispute won) pays
 * the receivable first, so an org never has both: `owed_cents = 0 OR available_cents = 0` (CHECK).
 * `place_holds` refuses every hold of an org that owes. Stripe refunds and disputes that arrive before
 * their top-up was credited wait in `stripe_events` (outcome `pending_topup`) for that top-up.
 * Existing write-off entries stay as they are (the ledger is append-only).
 */
export class OrgReceivables1710000000200 implements MigrationInterface {
  name = 'OrgReceivables1710000000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE accounts DROP CONSTRAINT accounts_kind_check, DROP CONSTRAINT accounts_check`);
    await q.query(`ALTER TABLE accounts
      ADD CONSTRAINT accounts_kind_check CHECK (kind IN ('org_available', 'org_held', 'org_receivable', 'platform_revenue', 'topup_source', 'writeoff')),
      ADD CONSTRAINT accounts_check CHECK ((kind IN ('org_available', 'org_held', 'org_receivable')) = (org_id IS NOT NULL))`);

    await q.query(`ALTER TABLE org_balances
      ADD COLUMN owed_account_id bigint REFERENCES accounts (id),
      ADD COLUMN owed_cents bigint NOT NULL DEFAULT 0 CONSTRAINT org_balances_owed_cents_check CHECK (owed_cents >= 0)`);
    // Orgs that exist already get their receivable account (nothing is owed yet).
    await q.query(`INSERT INTO accounts (code, kind, org_id) SELECT 'org:' || org_id || ':owed', 'org_receivable', org_id FROM org_balances
      ON CONFLICT (code) DO NOTHING`);
    await q.query(`UPDATE org_balances b SET owed_account_id = a.id FROM accounts a WHERE a.code = 'org:' || b.org_id || ':owed'`);
    await q.query(`ALTER TABLE org_balances ALTER COLUMN owed_account_id SET NOT NULL`);
    // Credits always pay the receivable first, and debits only become owed once available is 0.
    await q.query(`ALTER TABLE org_balances ADD CONSTRAINT org_balances_owes_or_has CHECK (owed_cents = 0 OR available_cents = 0)`);

    await q.query(`CREATE OR REPLACE FUNCTION ensure_org(p_org text) RETURNS void LANGUAGE plpgsql AS $$
      DECLARE a bigint; h bigint; o bigint;
      BEGIN
        IF EXISTS (SELECT 1 FROM org_balances WHERE org_id = p_org) THEN RETURN; END IF;
        INSERT INTO accounts (code, kind, org_id) VALUES ('org:' || p_org || ':available', 'org_available', p_org) ON CONFLICT (code) DO NOTHING;
        INSERT INTO accounts (code, kind, org_id) VALUES ('org:' || p_org || ':held', 'org_held', p_org) ON CONFLICT (code) DO NOTHING;
        INSERT INTO accounts (code, kind, org_id) VALUES ('org:' || p_org || ':owed', 'org_receivable', p_org) ON CONFLICT (code) DO NOTHING;
        SELECT id INTO a FROM accounts WHERE code = 'org:' || p_org || ':available';
        SELECT id INTO h FROM accounts WHERE code = 'org:' || p_org || ':held';
        SELECT id INTO o FROM accounts WHERE code = 'org:' || p_org || ':owed';
        INSERT INTO org_balances (org_id, available_account_id, held_account_id, owed_account_id) VALUES (p_org, a, h, o) ON CONFLICT (org_id) DO NOTHING;
      END $$`);

    // place_holds as before, plus: an org that owes gets no hold, not even a zero one (creates are
    // refused until a top-up settles the receivable), and every answer carries the owed amount so the
    // refusal can say what to pay. The result type changes, so the function is dropped and recreated.
    await q.query(`DROP FUNCTION place_holds(text[], text[], text[], bigint[])`);
    await q.query(PLACE_HOLDS_V2);

    // Refunds and disputes waiting for their top-up: the payment intent they name and the Stripe
    // object as received (replayed when the top-up is credited). Indexed only while pending.
    await q.query(`ALTER TABLE stripe_events ADD COLUMN payment_intent text, ADD COLUMN pending_object jsonb`);
    await q.query(`CREATE INDEX stripe_events_pending_topup ON stripe_events (payment_intent) WHERE outcome = 'pending_topup'`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Only while no receivable was ever posted: reverting must not drop ledger history.
    await q.query(`DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM ledger_entries e JOIN accounts a ON a.id = e.account_id WHERE a.kind = 'org_receivable')
           OR EXISTS (SELECT 1 FROM stripe_events WHERE outcome = 'pending_topup') THEN
          RAISE EXCEPTION 'cannot revert org receivables: receivable entries or pending Stripe reversals exist';
        END IF;
      END $$`);
    await q.query(`DROP INDEX stripe_events_pending_topup`);
    await q.query(`ALTER TABLE stripe_events DROP COLUMN pending_object, DROP COLUMN payment_intent`);
    await q.query(`DROP FUNCTION place_holds(text[], text[], text[], bigint[])`);
    await q.query(PLACE_HOLDS_V1);
    await q.query(`DROP FUNCTION ensure_org(text)`);
    await q.query(ENSURE_ORG_V1);
    await q.query(`ALTER TABLE org_balances DROP CONSTRAINT org_balances_owes_or_has, DROP COLUMN owed_cents, DROP COLUMN owed_account_id`);
    await q.query(`DELETE FROM accounts WHERE kind = 'org_receivable'`);
    await q.query(`ALTER TABLE accounts DROP CONSTRAINT accounts_kind_check, DROP CONSTRAINT accounts_check`);
    await q.query(`ALTER TABLE accounts
      ADD CONSTRAINT accounts_kind_check CHECK (kind IN ('org_available', 'org_held', 'platform_revenue', 'topup_source', 'writeoff')),
      ADD CONSTRAINT accounts_check CHECK ((kind IN ('org_available', 'org_held')) = (org_id IS NOT NULL))`);
  }
}

/** place_holds as this migration created it (1710000000300 replaces it; its down puts this back). */
export const PLACE_HOLDS_V2 = `CREATE FUNCTION place_holds(p_orgs text[], p_holds text[], p_generations text[], p_amounts bigint[])
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
      END $$`;
