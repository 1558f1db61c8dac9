import type { MigrationInterface, QueryRunner } from 'typeorm';
import { webhooksSql } from './sql-files';

/**
 * Fair delivery (issue 20): the claim no longer walks the whole queue oldest-first (where one org's
 * backlog came before everyone else's), but serves every endpoint with due deliveries from its own
 * index range and gives free slots to the org with the fewest attempts in flight first. Caps hold across
 * every replica: claims are serialised by an advisory lock, so the in-flight counts they read are exact
 * (per endpoint, per org), and each endpoint has a token bucket (its delivery rate), kept on its row.
 */
export class FairClaims1730000000002 implements MigrationInterface {
  name = 'FairClaims1730000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE endpoints ADD COLUMN rate_tokens float8, ADD COLUMN rate_refilled_at timestamptz`);
    // Per endpoint: its due deliveries in order, and (loose index scan) which endpoints have pending ones.
    await q.query(`CREATE INDEX deliveries_endpoint_due ON deliveries (endpoint_id, next_attempt_at) WHERE status = 'pending'`);
    // Attempts in flight (claimed, lease running): small, read by every claim.
    await q.query(`CREATE INDEX deliveries_leased ON deliveries (endpoint_id) WHERE status = 'pending' AND lease_token IS NOT NULL`);
    await q.query(webhooksSql('claim_deliveries', 3));
    await q.query(webhooksSql('claim_deliveries_fair', 1));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION claim_deliveries_fair(int, int, int, float8, float8, float8)`);
    await q.query(webhooksSql('claim_deliveries', 2));
    await q.query(`DROP INDEX deliveries_leased`);
    await q.query(`DROP INDEX deliveries_endpoint_due`);
    await q.query(`ALTER TABLE endpoints DROP COLUMN rate_tokens, DROP COLUMN rate_refilled_at`);
  }
}
