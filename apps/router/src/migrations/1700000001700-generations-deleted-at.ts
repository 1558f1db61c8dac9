import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `DELETE /v1/videos/{id}` (the OpenAI Videos face): a deleted video is hidden from every face of the
 * generations API (404 on its id, left out of the lists) but its row stays, because the ledger, usage and
 * webhook deliveries refer to it. `deleted_at` says when the customer deleted it.
 */
export class GenerationsDeletedAt1700000001700 implements MigrationInterface {
  name = 'GenerationsDeletedAt1700000001700';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE generations ADD COLUMN deleted_at timestamptz`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE generations DROP COLUMN deleted_at`);
  }
}
