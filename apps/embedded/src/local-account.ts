import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface LocalAccount {
  orgId: string;
  apiKey: string;
}

/**
 * The ready org and API key printed by `pnpm start`. For local convenience only, the key's secret is
 * kept in the data folder (the gateway itself stores only its hash), so a restart prints the same
 * key. Delete the file to be issued a new one.
 */
export async function ensureLocalAccount(
  dataDir: string,
  baseUrl: string,
  adminToken: string,
  sandboxCreditsCents: number,
): Promise<LocalAccount> {
  const file = join(dataDir, 'local-account.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as LocalAccount;
    const check = await fetch(`${baseUrl}/v1/usage`, { headers: { authorization: `Bearer ${saved.apiKey}` } });
    if (check.ok) return saved;
  }
  const admin = { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' };
  const org = await post(`${baseUrl}/admin/orgs`, admin, { name: 'Local sandbox org' });
  const key = await post(`${baseUrl}/admin/orgs/${org.id}/keys`, admin, { name: 'local' });
  await post(`${baseUrl}/admin/orgs/${org.id}/credits`, admin, { amount_cents: sandboxCreditsCents, idempotency_key: `local-initial-${org.id}` });
  const account = { orgId: org.id as string, apiKey: (key.key ?? key.secret) as string };
  writeFileSync(file, JSON.stringify(account, null, 2), { mode: 0o600 });
  return account;
}

async function post(url: string, headers: Record<string, string>, body: unknown) {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(json)}`);
  return json as any;
}
