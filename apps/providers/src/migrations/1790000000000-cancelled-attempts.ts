import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * cancelled_attempts: a tombstone per (generation, attempt) the router cancelled, written by every
 * `providers.job.cancel` before it looks for the job. A submit of that attempt that arrives later (the
 * router's submit call timed out while the message was still queued) inserts no job and calls no
 * provider; one whose row was inserted just before the tombstone is cancelled when the provider
 * answers. Pruned after a day (the janitor): a submit is never that late.
 */
export class CancelledAttempts1790000000000 implements MigrationInterface {
  name = 'CancelledAttempts1790000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE cancelled_attempts (
      generation_id text NOT NULL,
      attempt int NOT NULL,
      cancelled_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (generation_id, attempt))`);
    // Pruning finds the expired tombstones by age, not by scanning the table.
    await q.query(`CREATE INDEX cancelled_attempts_age ON cancelled_attempts (cancelled_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE cancelled_attempts`);
  }
}
