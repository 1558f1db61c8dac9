import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Counts an org's generations in flight (its concurrency cap, checked at every create) from a small index. */
export class GenerationsInFlightIndex1700000001400 implements MigrationInterface {
  name = 'GenerationsInFlightIndex1700000001400';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX generations_org_in_flight ON generations (org_id) WHERE status IN ('pending', 'processing')`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX generations_org_in_flight`);
  }
}
