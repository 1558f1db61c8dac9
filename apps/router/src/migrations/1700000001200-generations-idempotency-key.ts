import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The customer's Idempotency-Key, kept with the generation it created: a retry the gateway could not
 * answer from its own store (the first call timed out there but went on here) finds the generation
 * instead of creating, holding and paying for a second one. One per org and API, for as long as the
 * gateway keeps keys (PIPEVIDEO_IDEMPOTENCY_TTL_SECONDS); an older key is let go when it is used again.
 */
export class GenerationsIdempotencyKey1700000001200 implements MigrationInterface {
  name = 'GenerationsIdempotencyKey1700000001200';
  async up(q: QueryRunner): Promise<void> {
    // The key, and the fingerprint of the request it was first used with (the same key with another request is a 409).
    await q.query(`ALTER TABLE generations ADD COLUMN idempotency_key text, ADD COLUMN idempotency_fingerprint text`);
    await q.query(`CREATE UNIQUE INDEX generations_idempotency_key ON generations (org_id, api, idempotency_key) WHERE idempotency_key IS NOT NULL`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX generations_idempotency_key`);
    await q.query(`ALTER TABLE generations DROP COLUMN idempotency_key, DROP COLUMN idempotency_fingerprint`);
  }
}
