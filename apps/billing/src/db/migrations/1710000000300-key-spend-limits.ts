import type { MigrationInterface, QueryRunner } from 'typeorm';
import { billingSql } from './sql-files';

/**
 * Key spend limits. A hold can name the API key that made its generation (`holds.key_id`) and that
 * key's limit: `place_holds` then refuses it (outcome `key_limit`) when what the key spent or holds in
 * the limit's window plus this hold would exceed the limit. The check runs under the org's balance-row
 * lock — the lock every hold of the org takes anyway — so concurrent holds of one key queue and each
 * sees the ones before it: concurrent creates cannot overshoot the limit. A key's spend in a window is
 * its holds placed since the window start: open holds count their amount, captured ones what they
 * charged, released ones nothing.
 */
export class KeySpendLimits1710000000300 implements MigrationInterface {
  name = 'KeySpendLimits1710000000300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE holds ADD COLUMN key_id text`);
    await q.query(`CREATE INDEX holds_key_created ON holds (key_id, created_at) WHERE key_id IS NOT NULL`);
    await q.query(`DROP FUNCTION place_holds(text[], text[], text[], bigint[])`);
    await q.query(billingSql('place_holds', 3));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION place_holds(text[], text[], text[], bigint[], text[], bigint[], timestamptz[])`);
    await q.query(billingSql('place_holds', 2));
    await q.query(`DROP INDEX holds_key_created`);
    await q.query(`ALTER TABLE holds DROP COLUMN key_id`);
  }
}
