import type { MigrationInterface, QueryRunner } from 'typeorm';
import { routerSql } from './sql-files';

/** A create in one round trip: the in-flight cap, the generation and its first attempt (issue "Performance"). */
export class CreateGenerationFunction1790000001000 implements MigrationInterface {
  name = 'CreateGenerationFunction1790000001000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(routerSql('create_generation', 1));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION create_generation(text, text, text, text, jsonb, jsonb, text, text, text, int, float8, text, text, text, text, bigint, text, int, jsonb)`);
  }
}
