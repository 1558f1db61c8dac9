import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stripe refunds and disputes find their top-up by payment intent, and the reversals already posted
 * for a charge, by metadata: two small expression indexes, so neither reads the whole ledger (the
 * second runs under the org's lock).
 */
export class StripeReversalIndexes1710000000100 implements MigrationInterface {
  name = 'StripeReversalIndexes1710000000100';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX ledger_transactions_topup_payment_intent ON ledger_transactions ((metadata->>'paymentIntent')) WHERE kind = 'topup'`);
    await q.query(`CREATE INDEX ledger_transactions_refund_charge ON ledger_transactions ((metadata->>'stripeRefundCharge')) WHERE kind = 'correction'`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ledger_transactions_refund_charge`);
    await q.query(`DROP INDEX ledger_transactions_topup_payment_intent`);
  }
}
