import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the operator needs against abuse (issue 20): org suspension, per-org limits (requests per minute
 * summed over the org's keys, live keys, generations in flight), one live successor per rotated key,
 * and the audit log of operator actions.
 */
export class AbuseControls1700000002300 implements MigrationInterface {
  name = 'AbuseControls1700000002300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE organizations
      ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
      ADD COLUMN suspended_reason text,
      ADD COLUMN suspended_at timestamptz,
      ADD COLUMN org_rate_limit_per_minute int CHECK (org_rate_limit_per_minute IS NULL OR org_rate_limit_per_minute > 0),
      ADD COLUMN max_keys int CHECK (max_keys IS NULL OR max_keys > 0),
      ADD COLUMN max_concurrent_generations int CHECK (max_concurrent_generations IS NULL OR max_concurrent_generations > 0)`);
    // rotateKey looks up a key's successor (a key is rotated at most once; the old key's row lock
    // serialises concurrent rotations). Not unique: databases from before this rule may hold two.
    await q.query(`CREATE INDEX api_keys_rotated_from ON api_keys (rotated_from) WHERE rotated_from IS NOT NULL`);
    await q.query(`CREATE TABLE operator_audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      action text NOT NULL,
      org_id text,
      target text,
      details jsonb NOT NULL DEFAULT '{}',
      ip text,
      correlation_id text
    )`);
    await q.query(`CREATE INDEX operator_audit_log_org ON operator_audit_log (org_id, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE operator_audit_log`);
    await q.query(`DROP INDEX api_keys_rotated_from`);
    await q.query(`ALTER TABLE organizations DROP COLUMN status, DROP COLUMN suspended_reason, DROP COLUMN suspended_at,
      DROP COLUMN org_rate_limit_per_minute, DROP COLUMN max_keys, DROP COLUMN max_concurrent_generations`);
  }
}
