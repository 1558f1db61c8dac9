import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The API key that created a generation and that key's spend limit as it was at create time: every
 * hold of the generation (the first and any fallback's) is placed against it, so billing refuses a
 * hold that would take the key past its limit.
 */
export class GenerationsKeyLimit1700000001400 implements MigrationInterface {
  name = 'GenerationsKeyLimit1700000001400';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE generations ADD COLUMN key_id text, ADD COLUMN key_limit_cents bigint, ADD COLUMN key_limit_reset text`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE generations DROP COLUMN key_limit_reset, DROP COLUMN key_limit_cents, DROP COLUMN key_id`);
  }
}
