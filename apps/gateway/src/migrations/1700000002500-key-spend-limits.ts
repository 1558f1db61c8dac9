import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Key spend limits: `limit_cents` a key may spend per `limit_reset` period (daily, weekly, monthly —
 * UTC calendar periods — or none: over the key's life). NULL limit = no limit. Billing enforces it
 * when it holds money for a create (the gateway sends the limit with each create).
 */
export class KeySpendLimits1700000002500 implements MigrationInterface {
  name = 'KeySpendLimits1700000002500';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys
      ADD COLUMN limit_cents bigint CHECK (limit_cents >= 0),
      ADD COLUMN limit_reset text CHECK (limit_reset IN ('daily', 'weekly', 'monthly', 'none'))`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys DROP COLUMN limit_reset, DROP COLUMN limit_cents`);
  }
}
