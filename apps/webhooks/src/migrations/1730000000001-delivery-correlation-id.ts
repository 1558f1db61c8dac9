import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Deliveries remember the correlation id of the request that caused them (the `generation.finished`
 * event's `correlationId`, or the `webhooks.endpoint.test` call's), so every log line of every attempt
 * — retries days later included — can be traced back to it. Internal only: never sent to customers.
 *
 * claim_deliveries returns it too (one statement per claim, as before), so the function is recreated
 * with one more output column (a RETURNS TABLE change needs DROP + CREATE).
 */
export class DeliveryCorrelationId1730000000001 implements MigrationInterface {
  name = 'DeliveryCorrelationId1730000000001';

  async up(q: QueryRunner): Promise<void> {
    // Nullable, no default: rows queued before this migration simply have none (a fresh id is used for their attempts).
    await q.query(`ALTER TABLE deliveries ADD COLUMN correlation_id text`);
    await q.query(`DROP FUNCTION claim_deliveries(int, text[], int[], int, float8)`);
    await q.query(claimFunction(true));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION claim_deliveries(int, text[], int[], int, float8)`);
    await q.query(claimFunction(false));
    await q.query(`ALTER TABLE deliveries DROP COLUMN correlation_id`);
  }
}

/**
 * claim_deliveries as created by WebhooksInit1730000000000 (see the reasons for its shape and pinned plan
 * there), optionally returning the delivery's correlation_id as its last column.
 */
export function claimFunction(withCorrelationId: boolean): string {
  return `
      CREATE FUNCTION claim_deliveries(p_limit int, p_busy_endpoints text[], p_busy_counts int[], p_per_endpoint int, p_lease_seconds float8)
      RETURNS TABLE (id text, lease_token text, attempts int, org_id text, endpoint_id text, message_id text, event_type text,
                     body text, url text, enabled boolean, secret text, previous_secret text${withCorrelationId ? ', correlation_id text' : ''})
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
                  CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END${withCorrelationId ? ', d.correlation_id' : ''};
      END
      $fn$`;
}
