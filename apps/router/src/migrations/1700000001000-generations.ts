import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Generations1700000001000 implements MigrationInterface {
  name = 'Generations1700000001000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE generations (
      id text PRIMARY KEY,
      org_id text NOT NULL,
      api text NOT NULL CHECK (api IN ('video', 'responses')),
      status text NOT NULL CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled', 'incomplete')),
      requested_model text NOT NULL,
      model text,
      provider text,
      route_id text,
      request jsonb NOT NULL,
      candidates jsonb NOT NULL,
      next_candidate int NOT NULL DEFAULT 0,
      attempt int NOT NULL DEFAULT 0,
      hold_id text,
      mode text,
      needs_dispatch boolean NOT NULL DEFAULT true,
      estimated_cost_cents int,
      cost_cents int,
      output_url text,
      artifact_url text,
      artifact_type text,
      error_code text,
      error_message text,
      input_tokens int,
      output_tokens int,
      tokens_charged boolean NOT NULL DEFAULT false,
      app_title text,
      referer text,
      correlation_id text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      processing_at timestamptz,
      completed_at timestamptz,
      deadline_at timestamptz,
      lease_until timestamptz,
      lease_owner text)`);
    await q.query(`CREATE INDEX generations_org_created ON generations (org_id, created_at DESC)`);
    await q.query(`CREATE INDEX generations_dispatch ON generations (updated_at) WHERE needs_dispatch AND status IN ('pending', 'processing')`);
    await q.query(`CREATE INDEX generations_deadline ON generations (deadline_at) WHERE status = 'processing' AND NOT needs_dispatch`);
    await q.query(`CREATE INDEX generations_app ON generations (created_at, app_title) WHERE app_title IS NOT NULL`);
    await q.query(`CREATE TABLE generation_attempts (
      generation_id text NOT NULL REFERENCES generations(id),
      attempt int NOT NULL,
      model text NOT NULL,
      route_id text NOT NULL,
      provider text NOT NULL,
      hold_id text NOT NULL,
      hold_cents int NOT NULL,
      provider_job_id text,
      outcome text,
      error_kind text,
      error_message text,
      started_at timestamptz NOT NULL DEFAULT now(),
      ended_at timestamptz,
      PRIMARY KEY (generation_id, attempt))`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE generation_attempts`);
    await q.query(`DROP TABLE generations`);
  }
}
