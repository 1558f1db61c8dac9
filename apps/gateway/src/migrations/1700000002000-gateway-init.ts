import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Organizations, API keys, shared rate-limit counters and idempotency records (schema `gateway`). */
export class GatewayInit1700000002000 implements MigrationInterface {
  name = 'GatewayInit1700000002000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE organizations (
      id text PRIMARY KEY,
      name text NOT NULL,
      rate_limit_per_minute int CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE api_keys (
      id text PRIMARY KEY,
      org_id text NOT NULL REFERENCES organizations(id),
      name text NOT NULL,
      kind text NOT NULL CHECK (kind IN ('standard', 'management')),
      prefix text NOT NULL,
      secret_hash text NOT NULL UNIQUE,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'expired')),
      rate_limit_per_minute int CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0),
      rotated_from text,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      expires_at timestamptz,
      revoked_at timestamptz
    )`);
    await q.query(`CREATE INDEX api_keys_org_idx ON api_keys (org_id, created_at DESC)`);
    // Fixed one-minute windows, shared by every replica: one atomic upsert per request.
    await q.query(`CREATE TABLE rate_limit_counters (
      bucket text NOT NULL,
      window_start timestamptz NOT NULL,
      count int NOT NULL,
      PRIMARY KEY (bucket, window_start)
    )`);
    await q.query(`CREATE INDEX rate_limit_counters_window_idx ON rate_limit_counters (window_start)`);
    // One row per (scope, Idempotency-Key): inserted 'pending' before the work, completed with the answer.
    await q.query(`CREATE TABLE idempotency_keys (
      scope text NOT NULL,
      key text NOT NULL,
      request_hash text NOT NULL,
      state text NOT NULL CHECK (state IN ('pending', 'completed')),
      status_code int,
      response_body jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      locked_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (scope, key)
    )`);
    await q.query(`CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at)`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE rate_limit_counters`);
    await q.query(`DROP TABLE api_keys`);
    await q.query(`DROP TABLE organizations`);
  }
}
