import type { MigrationInterface, QueryRunner } from 'typeorm';
import { gatewaySql } from './sql-files';

/**
 * Sliding-window token leases in one round trip. The allowance of the current window is the limit
 * minus the previous window's count weighted by how much of it still lies inside the last minute
 * (the usual sliding-window approximation), so a burst at the end of one window and another at the
 * start of the next cannot add up to twice the limit. The row lock makes concurrent leases exact:
 * a lease is granted only what is left of the allowance, and the counter counts granted tokens only.
 */
export class SlidingRateLeases1700000002200 implements MigrationInterface {
  name = 'SlidingRateLeases1700000002200';
  async up(q: QueryRunner): Promise<void> {
    await q.query(gatewaySql('rate_lease', 1));
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION rate_lease(text, int, int, int)`);
  }
}
