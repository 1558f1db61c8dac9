import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bring your own key (issue 22). provider_keys: an org's own key per provider, encrypted (AES-256-GCM,
 * `v1:<key id>:<iv>:<tag>:<ciphertext>`), with what may be shown (last four characters) and what the
 * provider said when it was verified (its id for the account). provider_jobs remembers the org and
 * whether the job runs on the org's key, so poll, cancel and callback checks use the same account.
 */
export class ProviderKeys1780000000000 implements MigrationInterface {
  name = 'ProviderKeys1780000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE provider_keys (
      org_id text NOT NULL,
      provider text NOT NULL,
      ciphertext text NOT NULL,
      key_id text NOT NULL,
      last4 text NOT NULL,
      account_id text,
      verified_at timestamptz NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (org_id, provider))`);
    await q.query(`ALTER TABLE provider_jobs ADD COLUMN org_id text, ADD COLUMN byok boolean NOT NULL DEFAULT false, ADD COLUMN byok_account_id text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE provider_jobs DROP COLUMN org_id, DROP COLUMN byok, DROP COLUMN byok_account_id`);
    await q.query(`DROP TABLE provider_keys`);
  }
}
