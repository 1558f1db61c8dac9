import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * provider_jobs: one row per (generation, attempt) — the unique key that makes a job finish once.
 * provider_callbacks: one row per verified callback delivery, so a re-sent callback is a no-op.
 */
export class ProviderJobs1700000004000 implements MigrationInterface {
  name = 'ProviderJobs1700000004000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE provider_jobs (
      id uuid PRIMARY KEY,
      generation_id text NOT NULL,
      attempt int NOT NULL,
      provider text NOT NULL,
      provider_model_id text NOT NULL,
      api text NOT NULL,
      mode text NOT NULL CHECK (mode IN ('callback', 'poll')),
      -- submitting → running → succeeded | failed | cancelled; submitting → submit_failed
      status text NOT NULL CHECK (status IN ('submitting', 'running', 'submit_failed', 'succeeded', 'failed', 'cancelled')),
      provider_job_id text,
      handle jsonb,
      deadline_at timestamptz,
      next_poll_at timestamptz,
      lease_owner text,
      lease_until timestamptz,
      poll_errors int NOT NULL DEFAULT 0,
      usage_reported boolean NOT NULL DEFAULT false,
      input_tokens int,
      output_tokens int,
      outcome text,
      output_url text,
      artifact_url text,
      artifact_type text,
      error_kind text,
      error_message text,
      incomplete boolean NOT NULL DEFAULT false,
      correlation_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      finished_at timestamptz,
      CONSTRAINT provider_jobs_generation_attempt UNIQUE (generation_id, attempt))`);
    await q.query(`CREATE INDEX provider_jobs_due ON provider_jobs (next_poll_at) WHERE status = 'running'`);
    await q.query(`CREATE INDEX provider_jobs_in_flight ON provider_jobs (provider) WHERE status IN ('submitting', 'running')`);
    await q.query(`CREATE INDEX provider_jobs_upstream ON provider_jobs (provider, provider_job_id)`);
    await q.query(`CREATE TABLE provider_callbacks (
      provider text NOT NULL,
      delivery_id text NOT NULL,
      job_id uuid NOT NULL REFERENCES provider_jobs (id),
      received_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (provider, delivery_id))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE provider_callbacks`);
    await q.query(`DROP TABLE provider_jobs`);
  }
}
