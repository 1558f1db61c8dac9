import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outputs we own (issue 16). A job that succeeded upstream becomes `storing` until its output is
 * copied into our object storage (then `succeeded`, or `failed` when the copy cannot be done);
 * `store_attempts` counts the copies tried. `stored_outputs` lists every stored file with its
 * retention end, so the retention sweep can delete it. `progress` keeps the last progress seen.
 */
export class StoredOutputs1760000000000 implements MigrationInterface {
  name = 'StoredOutputs1760000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provider_jobs DROP CONSTRAINT IF EXISTS provider_jobs_status_check`);
    await q.query(`ALTER TABLE provider_jobs ADD CONSTRAINT provider_jobs_status_check
      CHECK (status IN ('submitting', 'running', 'storing', 'submit_failed', 'succeeded', 'failed', 'cancelled'))`);
    await q.query(`ALTER TABLE provider_jobs ADD COLUMN store_attempts int NOT NULL DEFAULT 0, ADD COLUMN progress jsonb, ADD COLUMN duration_seconds float8`);
    await q.query(`CREATE INDEX provider_jobs_storing ON provider_jobs (next_poll_at) WHERE status = 'storing'`);
    await q.query(`CREATE TABLE stored_outputs (
      key text PRIMARY KEY,
      generation_id text NOT NULL,
      attempt int NOT NULL,
      kind text NOT NULL CHECK (kind IN ('output', 'artifact')),
      bytes bigint NOT NULL,
      sha256 text NOT NULL,
      content_type text NOT NULL,
      duration_seconds float8,
      stored_at timestamptz NOT NULL DEFAULT now(),
      retained_until timestamptz NOT NULL,
      deleted_at timestamptz)`);
    await q.query(`CREATE INDEX stored_outputs_due ON stored_outputs (retained_until) WHERE deleted_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE stored_outputs`);
    await q.query(`DROP INDEX provider_jobs_storing`);
    await q.query(`ALTER TABLE provider_jobs DROP COLUMN store_attempts, DROP COLUMN progress, DROP COLUMN duration_seconds`);
    await q.query(`ALTER TABLE provider_jobs DROP CONSTRAINT provider_jobs_status_check`);
    await q.query(`ALTER TABLE provider_jobs ADD CONSTRAINT provider_jobs_status_check
      CHECK (status IN ('submitting', 'running', 'submit_failed', 'succeeded', 'failed', 'cancelled'))`);
  }
}
