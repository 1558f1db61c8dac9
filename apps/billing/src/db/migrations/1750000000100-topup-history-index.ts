import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The dashboard's top-up history (GET /v1/billing/topups): an org's topup transactions, newest first. */
export class TopupHistoryIndex1750000000100 implements MigrationInterface {
  name = 'TopupHistoryIndex1750000000100';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS ledger_transactions_org_topups ON ledger_transactions (org_id, id DESC) WHERE kind = 'topup'`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS ledger_transactions_org_topups`);
  }
}
