import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The generations list pages on (created_at, id) per org and API: one index serves it in order. */
export class GenerationsKeysetIndex1700000001100 implements MigrationInterface {
  name = 'GenerationsKeysetIndex1700000001100';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX generations_org_api_page ON generations (org_id, api, created_at DESC, id DESC)`);
    await q.query(`DROP INDEX generations_org_created`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX generations_org_created ON generations (org_id, created_at DESC)`);
    await q.query(`DROP INDEX generations_org_api_page`);
  }
}
