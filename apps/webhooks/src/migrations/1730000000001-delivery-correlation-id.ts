import type { MigrationInterface, QueryRunner } from 'typeorm';
import { webhooksSql } from './sql-files';

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
    await q.query(webhooksSql('claim_deliveries', 2));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION claim_deliveries(int, text[], int[], int, float8)`);
    await q.query(webhooksSql('claim_deliveries', 1));
    await q.query(`ALTER TABLE deliveries DROP COLUMN correlation_id`);
  }
}
