import type { MigrationInterface, QueryRunner } from 'typeorm';
import { billingSql } from './sql-files';

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

    await q.query(billingSql('ensure_org', 2));

    // place_holds as before, plus: an org that owes gets no hold, not even a zero one (creates are
    // refused until a top-up settles the receivable), and every answer carries the owed amount so the
    // refusal can say what to pay. The result type changes, so the function is dropped and recreated.
    await q.query(`DROP FUNCTION place_holds(text[], text[], text[], bigint[])`);
    await q.query(billingSql('place_holds', 2));

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
    await q.query(billingSql('place_holds', 1));
    await q.query(`DROP FUNCTION ensure_org(text)`);
    await q.query(billingSql('ensure_org', 1));
    await q.query(`ALTER TABLE org_balances DROP CONSTRAINT org_balances_owes_or_has, DROP COLUMN owed_cents, DROP COLUMN owed_account_id`);
    await q.query(`DELETE FROM accounts WHERE kind = 'org_receivable'`);
    await q.query(`ALTER TABLE accounts DROP CONSTRAINT accounts_kind_check, DROP CONSTRAINT accounts_check`);
    await q.query(`ALTER TABLE accounts
      ADD CONSTRAINT accounts_kind_check CHECK (kind IN ('org_available', 'org_held', 'platform_revenue', 'topup_source', 'writeoff')),
      ADD CONSTRAINT accounts_check CHECK ((kind IN ('org_available', 'org_held')) = (org_id IS NOT NULL))`);
  }
}
