import type { MigrationInterface, QueryRunner } from 'typeorm';

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
    // Claiming due deliveries (see DeliveryStore.claim). A function so the plan can be pinned and cached:
    // with statistics that still say "few pending rows" (a burst arrives faster than autovacuum
    // re-analyzes), PostgreSQL picks a bitmap scan that reads and sorts every due row on each claim,
    // O(backlog); the ordered walk of deliveries_due stops after LIMIT rows. PL/pgSQL keeps the plan.
    await q.query(`
      CREATE FUNCTION claim_deliveries(p_limit int, p_busy_endpoints text[], p_busy_counts int[], p_per_endpoint int, p_lease_seconds float8)
      RETURNS TABLE (id text, lease_token text, attempts int, org_id text, endpoint_id text, message_id text, event_type text,
                     body text, url text, enabled boolean, secret text, previous_secret text)
      LANGUAGE plpgsql
      SET enable_bitmapscan = off
      SET enable_seqscan = off
      AS $fn$
      #variable_conflict use_column
      BEGIN
        RETURN QUERY
        WITH busy AS (
          SELECT * FROM unnest(p_busy_endpoints, p_busy_counts) AS b(endpoint_id, n)
        ), cand AS (
          -- endpoints already at their cap in the calling worker are skipped in the index walk itself
          SELECT d.id, d.endpoint_id, d.next_attempt_at FROM deliveries d
           WHERE d.status = 'pending' AND d.next_attempt_at <= now()
             AND NOT (d.endpoint_id = ANY(ARRAY(SELECT b.endpoint_id FROM busy b WHERE b.n >= p_per_endpoint)))
           ORDER BY d.next_attempt_at
           LIMIT p_limit * 4
           FOR UPDATE SKIP LOCKED
        ), picked AS (
          SELECT r.id FROM (
            SELECT c.id, c.next_attempt_at, row_number() OVER (PARTITION BY c.endpoint_id ORDER BY c.next_attempt_at) AS rn, c.endpoint_id FROM cand c
          ) r LEFT JOIN busy b ON b.endpoint_id = r.endpoint_id
          WHERE r.rn + coalesce(b.n, 0) <= p_per_endpoint
          ORDER BY r.next_attempt_at LIMIT p_limit
        )
        UPDATE deliveries d
           SET next_attempt_at = now() + make_interval(secs => p_lease_seconds),
               lease_token = gen_random_uuid()::text,
               attempts = d.attempts + 1,
               updated_at = now()
          FROM picked, endpoints e, messages m
         WHERE d.id = picked.id AND e.id = d.endpoint_id AND m.id = d.message_id
        RETURNING d.id, d.lease_token, d.attempts, d.org_id, d.endpoint_id, d.message_id, d.event_type, m.body, e.url, e.enabled, e.secret,
                  CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END;
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION claim_deliveries(int, text[], int[], int, float8)`);
    await q.query(`DROP TABLE deliveries`);
    await q.query(`DROP TABLE messages`);
    await q.query(`DROP TABLE endpoints`);
  }
}
