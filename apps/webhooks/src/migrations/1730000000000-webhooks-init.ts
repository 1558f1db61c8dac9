import type { MigrationInterface, QueryRunner } from 'typeorm';
import { webhooksSql } from './sql-files';

/**
 * Endpoints, the events sent to customers (messages: one body per event and org, shared by its
 * deliveries so every retry sends the same bytes), and deliveries (the durable work queue and log).
 */
export class WebhooksInit1730000000000 implements MigrationInterface {
  name = 'WebhooksInit1730000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE endpoints (
        id text PRIMARY KEY,
        org_id text NOT NULL,
        url text NOT NULL,
        description text NOT NULL DEFAULT '',
        events text[] NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        disabled_at timestamptz,
        -- signing secrets, sealed by SecretBox (AES-256-GCM when a key is configured)
        secret text NOT NULL,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        -- failure streak, for the disabling rules
        failing_since timestamptz,
        consecutive_exhausted int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX endpoints_org_created ON endpoints (org_id, created_at DESC, id DESC)`);
    await q.query(`
      CREATE TABLE messages (
        id text PRIMARY KEY,
        org_id text NOT NULL,
        event_type text NOT NULL,
        source_event_id text,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE deliveries (
        id text PRIMARY KEY,
        org_id text NOT NULL,
        endpoint_id text NOT NULL REFERENCES endpoints(id) ON DELETE CASCADE,
        message_id text NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        event_type text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'exhausted')),
        attempts int NOT NULL DEFAULT 0,
        -- pending: when the next attempt is due; while claimed, when the claim's lease runs out
        next_attempt_at timestamptz,
        -- set while a worker holds the delivery; its result is only recorded if the token still matches
        lease_token text,
        last_status_code int,
        last_error text,
        latency_ms int,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz
      )`);
    await q.query(`CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending'`);
    await q.query(`CREATE INDEX deliveries_endpoint_created ON deliveries (endpoint_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX deliveries_message ON deliveries (message_id)`);
    // A queue table swings from empty to thousands of due rows faster than autovacuum re-analyzes it:
    // keep its statistics and dead index entries fresh.
    await q.query(`ALTER TABLE deliveries SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02)`);
    // Claiming due deliveries (see DeliveryStore.claim): a function so the plan can be pinned (why: in the file).
    await q.query(webhooksSql('claim_deliveries', 1));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION claim_deliveries(int, text[], int[], int, float8)`);
    await q.query(`DROP TABLE deliveries`);
    await q.query(`DROP TABLE messages`);
    await q.query(`DROP TABLE endpoints`);
  }
}
