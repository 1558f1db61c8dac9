import type { MigrationInterface, QueryRunner } from 'typeorm';
import { billingSql } from './sql-files';

/**
 * A key's spend is net of refunds. `holds.refunded_cents` records what a refund gave back of a hold's
 * charge (`refundGeneration` sets it in the refund's transaction), and a key's spend in its limit's
 * window counts each hold's charge net of it, whatever the hold's status (open holds: their amount).
 * Before, a Responses job whose tokens were charged and then refunded (it failed, timed out or ended
 * incomplete) kept using up its key's limit, and tokens charged on a released hold counted nothing.
 */
export class KeySpendRefunds1800000000200 implements MigrationInterface {
  name = 'KeySpendRefunds1800000000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE holds ADD COLUMN refunded_cents bigint NOT NULL DEFAULT 0`);
    // Charges refunded before this column existed.
    await q.query(`UPDATE holds h SET refunded_cents = h.charged_cents
                    WHERE h.charged_cents > 0 AND h.generation_id IS NOT NULL
                      AND EXISTS (SELECT 1 FROM ledger_transactions t WHERE t.idempotency_key = 'refund:' || h.generation_id)`);
    await q.query(billingSql('place_holds', 4));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION place_holds(text[], text[], text[], bigint[], text[], bigint[], timestamptz[])`);
    await q.query(billingSql('place_holds', 3));
    await q.query(`ALTER TABLE holds DROP COLUMN refunded_cents`);
  }
}
