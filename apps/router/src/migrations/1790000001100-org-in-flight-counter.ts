import type { MigrationInterface, QueryRunner } from 'typeorm';
import { routerSql } from './sql-files';

/**
 * The org's generations in flight as a counter kept by a trigger (issue "Performance"): the in-flight
 * cap used to count the org's pending and processing rows on every create, a cost that grew with what
 * the org had running (~1 µs a row: 4 ms a create at 3,400 in flight).
 */
export class OrgInFlightCounter1790000001100 implements MigrationInterface {
  name = 'OrgInFlightCounter1790000001100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE org_in_flight (org_id text PRIMARY KEY, n int NOT NULL)`);
    // Lock out writers while the counter starts from the rows (a deploy runs migrations before serving).
    await q.query(`LOCK TABLE generations IN SHARE ROW EXCLUSIVE MODE`);
    await q.query(`INSERT INTO org_in_flight (org_id, n) SELECT org_id, count(*) FROM generations WHERE status IN ('pending', 'processing') GROUP BY org_id`);
    await q.query(routerSql('count_in_flight', 1));
    await q.query(`CREATE TRIGGER generations_count_in_flight AFTER INSERT OR DELETE OR UPDATE OF status ON generations FOR EACH ROW EXECUTE FUNCTION count_in_flight()`);
    await q.query(routerSql('create_generation', 2));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(routerSql('create_generation', 1).replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION'));
    await q.query(`DROP TRIGGER generations_count_in_flight ON generations`);
    await q.query(`DROP FUNCTION count_in_flight()`);
    await q.query(`DROP TABLE org_in_flight`);
  }
}
