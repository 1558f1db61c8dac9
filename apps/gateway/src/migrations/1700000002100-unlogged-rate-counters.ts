import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rate-limit counters are hot (one upsert per request, all requests of a key on one row) and worth
 * nothing after a crash: unlogged, their commits do not wait for a WAL flush while holding the row
 * lock, which otherwise caps one key at one request per fsync.
 */
export class UnloggedRateCounters1700000002100 implements MigrationInterface {
  name = 'UnloggedRateCounters1700000002100';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rate_limit_counters SET UNLOGGED`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rate_limit_counters SET LOGGED`);
  }
}
