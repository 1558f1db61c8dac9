import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Bring your own key (issue 22): which attempt ran on the org's own provider key (its hold is the platform fee). */
export class GenerationsByok1780000000100 implements MigrationInterface {
  name = 'GenerationsByok1780000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE generation_attempts ADD COLUMN byok boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE generations ADD COLUMN byok boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE generations DROP COLUMN byok`);
    await q.query(`ALTER TABLE generation_attempts DROP COLUMN byok`);
  }
}
