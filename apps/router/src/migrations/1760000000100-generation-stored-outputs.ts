import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The stored files of a completed generation (issue 16): `output_file` / `artifact_file` hold the
 * StoredFileRef the providers service reported (key, bytes, SHA-256, content type, duration, retention
 * end). Links are signed from them on every read; `output_url` keeps the provider's URL for operators.
 * `progress` is the last progress the provider reported (percent, queue position, phase).
 */
export class GenerationStoredOutputs1760000000100 implements MigrationInterface {
  name = 'GenerationStoredOutputs1760000000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE generations ADD COLUMN output_file jsonb, ADD COLUMN artifact_file jsonb, ADD COLUMN progress jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE generations DROP COLUMN output_file, DROP COLUMN artifact_file, DROP COLUMN progress`);
  }
}
