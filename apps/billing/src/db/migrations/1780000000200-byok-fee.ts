import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bring your own key (issue 22): the capture of a generation that ran on the org's own provider key is
 * a ledger transaction of its own kind, `byok_fee` (the platform fee, not the provider's price), and
 * the usage row says the job ran on the org's key.
 */
export class ByokFee1780000000200 implements MigrationInterface {
  name = 'ByokFee1780000000200';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check`);
    await q.query(`ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check
      CHECK (kind IN ('topup', 'hold', 'capture', 'release', 'token_charge', 'refund', 'correction', 'byok_fee'))`);
    await q.query(`ALTER TABLE usage_records ADD COLUMN byok boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE usage_records DROP COLUMN byok`);
    await q.query(`ALTER TABLE ledger_transactions DROP CONSTRAINT ledger_transactions_kind_check`);
    await q.query(`ALTER TABLE ledger_transactions ADD CONSTRAINT ledger_transactions_kind_check
      CHECK (kind IN ('topup', 'hold', 'capture', 'release', 'token_charge', 'refund', 'correction'))`);
  }
}
