import type { MigrationInterface, QueryRunner } from 'typeorm';

/** What a customer can see of a generation: a change to any of these columns is a `generation.updated`. */
const VISIBLE = [
  'status', 'attempt', 'model', 'provider', 'route_id', 'output_url', 'artifact_url', 'artifact_type', 'error_message', 'error_code',
  'cost_cents', 'estimated_cost_cents', 'processing_at', 'completed_at', 'input_tokens', 'output_tokens', 'token_cost_usd',
  'usage_estimated', 'tokens_charged', 'deleted_at',
];

/**
 * `generation.updated` at the source: a trigger NOTIFYs `<schema>_generation_updated` whenever a
 * generation's visible state or one of its attempts changes. PostgreSQL delivers a NOTIFY only when its
 * transaction commits (and once per transaction for identical payloads), so a listener never hears of a
 * change a re-read would not see, and no code path that writes a generation can forget to announce it.
 * Lease, dispatch and idempotency bookkeeping (invisible) does not notify. The router relays the
 * notices to NATS (`generations/generation-updates.ts`).
 */
export class GenerationUpdatedNotify1770000000000 implements MigrationInterface {
  name = 'GenerationUpdatedNotify1770000000000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION notify_generation_updated(g generations) RETURNS void LANGUAGE sql AS $$
        SELECT pg_notify(current_schema() || '_generation_updated',
          json_build_object('id', g.id, 'orgId', g.org_id, 'api', g.api, 'status', g.status, 'attempt', g.attempt, 'deleted', g.deleted_at IS NOT NULL)::text)
      $$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION generations_updated_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM notify_generation_updated(NEW);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE OR REPLACE FUNCTION generation_attempts_updated_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM notify_generation_updated(g) FROM generations g WHERE g.id = NEW.generation_id;
        RETURN NULL;
      END $$`);
    const old = VISIBLE.map((c) => `OLD.${c}`).join(', ');
    const neu = VISIBLE.map((c) => `NEW.${c}`).join(', ');
    await q.query(`
      CREATE TRIGGER generations_updated AFTER UPDATE ON generations FOR EACH ROW
        WHEN ((${old}) IS DISTINCT FROM (${neu})) EXECUTE FUNCTION generations_updated_trigger()`);
    await q.query(`
      CREATE TRIGGER generation_attempts_updated AFTER INSERT OR UPDATE ON generation_attempts FOR EACH ROW
        EXECUTE FUNCTION generation_attempts_updated_trigger()`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS generation_attempts_updated ON generation_attempts`);
    await q.query(`DROP TRIGGER IF EXISTS generations_updated ON generations`);
    await q.query(`DROP FUNCTION IF EXISTS generation_attempts_updated_trigger()`);
    await q.query(`DROP FUNCTION IF EXISTS generations_updated_trigger()`);
    await q.query(`DROP FUNCTION IF EXISTS notify_generation_updated(generations)`);
  }
}
