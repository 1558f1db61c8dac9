import type { DataSource } from 'typeorm';
import { rows } from '@pipevideo/platform';

export interface ProviderKeyRow {
  org_id: string;
  provider: string;
  ciphertext: string;
  key_id: string;
  last4: string;
  account_id: string | null;
  verified_at: Date;
  created_at: Date;
  updated_at: Date;
}

/** The `provider_keys` table (providers schema): one encrypted key per (org, provider). */
export class ProviderKeyStore {
  constructor(private readonly ds: DataSource) {}

  async upsert(k: { orgId: string; provider: string; ciphertext: string; keyId: string; last4: string; accountId: string | null }): Promise<ProviderKeyRow> {
    const [row] = await rows<ProviderKeyRow>(
      this.ds,
      `INSERT INTO provider_keys (org_id, provider, ciphertext, key_id, last4, account_id, verified_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (org_id, provider) DO UPDATE SET ciphertext = EXCLUDED.ciphertext, key_id = EXCLUDED.key_id, last4 = EXCLUDED.last4,
         account_id = EXCLUDED.account_id, verified_at = now(), updated_at = now()
       RETURNING *`,
      [k.orgId, k.provider, k.ciphertext, k.keyId, k.last4, k.accountId],
    );
    return row;
  }

  async list(orgId: string): Promise<ProviderKeyRow[]> {
    return rows<ProviderKeyRow>(this.ds, `SELECT * FROM provider_keys WHERE org_id = $1 ORDER BY provider`, [orgId]);
  }

  async get(orgId: string, provider: string): Promise<ProviderKeyRow | null> {
    const [row] = await rows<ProviderKeyRow>(this.ds, `SELECT * FROM provider_keys WHERE org_id = $1 AND provider = $2`, [orgId, provider]);
    return row ?? null;
  }

  async delete(orgId: string, provider: string): Promise<boolean> {
    return (await rows(this.ds, `DELETE FROM provider_keys WHERE org_id = $1 AND provider = $2 RETURNING provider`, [orgId, provider])).length > 0;
  }

  async count(): Promise<Record<string, number>> {
    const found = await rows<{ provider: string; n: number }>(this.ds, `SELECT provider, count(*)::int AS n FROM provider_keys GROUP BY provider`);
    return Object.fromEntries(found.map((r) => [r.provider, r.n]));
  }
}
