import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A submit the org's own key was refused for (bring your own key) is the org's failure, not the
 * route's: the router falls back without counting it against the route. A repeated submit of that
 * attempt (a redelivery, the router retrying after a lost reply) must answer the same, so the job row
 * keeps what the first answer said.
 */
export class OwnKeyRefusals1800000000000 implements MigrationInterface {
  name = 'OwnKeyRefusals1800000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provider_jobs ADD COLUMN own_key_refused boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provider_jobs DROP COLUMN own_key_refused`);
  }
}
