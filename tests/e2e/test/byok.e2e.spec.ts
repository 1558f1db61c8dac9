/**
 * Bring your own key (issue 22), over HTTP against the whole platform and the provider sandboxes: an org
 * stores its own fal / Replicate key (checked with the provider, never shown again), its generations on
 * that provider run on its key — the sandbox sees the org's token on submit, and the callback, signed for
 * the org's own account, is verified — and the org is charged only the platform fee (usage says `byok`).
 * Deleting the key brings the platform key and the normal price back; another org never uses the key.
 */
import { Client } from 'pg';
import { http, pollGeneration, waitFor } from './harness/http';
import { settledBalance } from './harness/org';
import { bootMicroservices, createFundedOrg, issueKey, Platform } from './harness/platform';

/** The fee the platform runs with here (flat, per request). */
const FEE_CENTS = 2;

describe('bring your own key (microservices mode)', () => {
  let p: Platform;
  let skip = false;
  beforeAll(async () => {
    ({ p, skip } = await bootMicroservices({ env: { PIPEVIDEO_BYOK_FEE_CENTS: String(FEE_CENTS), PIPEVIDEO_BYOK_FEE_PERCENT: '0' } }));
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  /** A customer account at the provider (the sandbox plays the provider): its own token, user id and webhook secret. */
  const addAccount = async (sandboxUrl: string, name: string, key: string) => {
    const r = await http('POST', `${sandboxUrl}/__sandbox/accounts`, { body: { name, key } });
    expect(r.status).toBe(200);
  };
  /** What the sandbox received for one prompt: its submit, and whose token carried it. */
  const submitsFor = async (sandboxUrl: string, prompt: string) => {
    const log = (await http('GET', `${sandboxUrl}/__sandbox/requests`)).body as Array<{ operation: string; account?: string; body?: any; jobId?: string }>;
    return log.filter((e) => e.operation === 'submit' && JSON.stringify(e.body ?? {}).includes(prompt));
  };
  const generate = async (key: string, prompt: string, provider: 'fal' | 'replicate') => {
    const r = await http('POST', `${p.baseUrl}/v1/video/generations`, { key, body: { model: 'wan/2.5', prompt, provider: { only: [provider] } } });
    expect(r.status).toBe(200);
    const done = await pollGeneration(p.baseUrl, key, r.body.id);
    expect(done.status).toBe('completed');
    return done;
  };
  const usageRow = async (key: string, id: string) => {
    await settledBalance(p.baseUrl, key);
    const u = await http('GET', `${p.baseUrl}/v1/usage`, { key });
    expect(u.status).toBe(200);
    return u.body.data.find((x: any) => x.id === id);
  };
  const metric = async (service: 'providers' | 'router', line: RegExp) => {
    const text = String((await http('GET', `${p.urls[service]}/metrics`)).body ?? '');
    return Number(line.exec(text)?.[1] ?? 0);
  };

  it('stores a verified key, runs on it for the fee only, and goes back to the platform key once deleted', async () => {
    if (skip) return;
    const a = await createFundedOrg(p.baseUrl, p.adminToken, 5_000, 'byok org A');
    const b = await createFundedOrg(p.baseUrl, p.adminToken, 5_000, 'byok org B');
    const aAdmin = (await issueKey(p.baseUrl, p.adminToken, a.orgId, 'management')).key;
    const falKey = 'fal-org-a-secret-0000-7q2Z';
    await addAccount(p.sandboxes.fal.url, 'org-a', falKey);

    // Provider keys are credentials: a standard key may not manage them.
    expect((await http('GET', `${p.baseUrl}/v1/provider-keys`, { key: a.key })).status).toBe(403);
    // Unknown provider, missing key: 400s that say what to send.
    const unknown = await http('PUT', `${p.baseUrl}/v1/provider-keys/openai`, { key: aAdmin, body: { key: falKey } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/provider: must be one of fal, replicate/);
    expect((await http('PUT', `${p.baseUrl}/v1/provider-keys/fal`, { key: aAdmin, body: {} })).status).toBe(400);

    // A key fal refuses: 400, nothing stored.
    const bad = await http('PUT', `${p.baseUrl}/v1/provider-keys/fal`, { key: aAdmin, body: { key: 'not-a-fal-key-at-all' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/fal refused this key/);
    expect((await http('GET', `${p.baseUrl}/v1/provider-keys`, { key: aAdmin })).body.data).toEqual([]);

    // A good key: verified, shown by its last four characters only, never again in full.
    const good = await http('PUT', `${p.baseUrl}/v1/provider-keys/fal`, { key: aAdmin, body: { key: falKey } });
    expect(good.status).toBe(200);
    expect(good.body).toMatchObject({ object: 'provider_key', provider: 'fal', last4: '7q2Z' });
    expect(good.body.verified_at).toBeGreaterThan(0);
    const listed = await http('GET', `${p.baseUrl}/v1/provider-keys`, { key: aAdmin });
    expect(listed.body).toMatchObject({ object: 'list', has_more: false, data: [{ provider: 'fal', last4: '7q2Z' }] });
    expect(JSON.stringify(listed.body)).not.toContain(falKey);
    expect(JSON.stringify(good.body)).not.toContain(falKey);
    // At rest: AES-256-GCM under a named key (here the development ring), never the key itself; and only
    // the providers service's role can read the table at all.
    const admin = new Client({ connectionString: p.db!.url });
    await admin.connect();
    try {
      const { rows } = await admin.query(`SELECT ciphertext, key_id FROM providers.provider_keys WHERE org_id = $1`, [a.orgId]);
      expect(rows).toHaveLength(1);
      expect(rows[0].ciphertext).toMatch(/^v1:dev:/);
      expect(rows[0].ciphertext).not.toContain(falKey);
      expect(rows[0].ciphertext).not.toContain(Buffer.from(falKey).toString('base64').slice(0, 12));
    } finally {
      await admin.end();
    }
    const gatewayDb = new Client({ connectionString: p.roles!.urls.gateway });
    await gatewayDb.connect();
    await expect(gatewayDb.query('SELECT ciphertext FROM providers.provider_keys')).rejects.toThrow(/permission denied for schema providers/);
    await gatewayDb.end();

    // A generation on fal runs on the org's own key: the sandbox saw org A's token on the submit, and the
    // callback, signed for org A's fal account (not ours, FAL_USER_ID), was verified (the job completed).
    const before = await settledBalance(p.baseUrl, a.key);
    const onOwnKey = await generate(a.key, 'byok: a heron on org A key', 'fal');
    const submits = await submitsFor(p.sandboxes.fal.url, 'byok: a heron on org A key');
    expect(submits.map((s) => s.account)).toEqual(['org-a']);
    const callbacks = ((await http('GET', `${p.sandboxes.fal.url}/__sandbox/requests`)).body as any[]).filter((e) => e.operation === 'callback' && e.jobId === submits[0].jobId);
    expect(callbacks.map((c) => c.status)).toContain(200);
    // Charged only the platform fee, as a usage row that says so.
    expect(onOwnKey.cost_cents).toBe(FEE_CENTS);
    expect(await usageRow(a.key, onOwnKey.id)).toMatchObject({ byok: true, cost_cents: FEE_CENTS, provider: 'fal' });
    expect((await settledBalance(p.baseUrl, a.key)).balance_cents).toBe(before.balance_cents - FEE_CENTS);

    // Another org never runs on it: org B's fal generation uses the platform key at the list price.
    const other = await generate(b.key, 'byok: a heron on org B', 'fal');
    expect((await submitsFor(p.sandboxes.fal.url, 'byok: a heron on org B')).map((s) => s.account)).toEqual(['platform']);
    expect(other.cost_cents).toBeGreaterThan(FEE_CENTS);
    expect(await usageRow(b.key, other.id)).toMatchObject({ byok: false, cost_cents: other.cost_cents });
    expect((await http('GET', `${p.baseUrl}/v1/provider-keys`, { key: (await issueKey(p.baseUrl, p.adminToken, b.orgId, 'management')).key })).body.data).toEqual([]);

    // Org A on Replicate (no key there) still uses the platform key.
    const replicateRun = await generate(a.key, 'byok: org A on replicate before its key', 'replicate');
    expect((await submitsFor(p.sandboxes.replicate.url, 'byok: org A on replicate before its key')).map((s) => s.account)).toEqual(['platform']);
    expect(replicateRun.cost_cents).toBeGreaterThan(FEE_CENTS);

    // Deleted: the platform key and the normal price again.
    const del = await http('DELETE', `${p.baseUrl}/v1/provider-keys/fal`, { key: aAdmin });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ object: 'provider_key', provider: 'fal', deleted: true });
    expect((await http('DELETE', `${p.baseUrl}/v1/provider-keys/fal`, { key: aAdmin })).status).toBe(404);
    const afterDelete = await generate(a.key, 'byok: a heron after the key is gone', 'fal');
    expect((await submitsFor(p.sandboxes.fal.url, 'byok: a heron after the key is gone')).map((s) => s.account)).toEqual(['platform']);
    expect(afterDelete.cost_cents).toBe(other.cost_cents);
    expect(await usageRow(a.key, afterDelete.id)).toMatchObject({ byok: false, cost_cents: other.cost_cents });

    // Metrics: jobs on own keys by provider, and the refused verification.
    expect(await metric('providers', /pipevideo_byok_jobs_total\{provider="fal",outcome="submitted"[^}]*\} (\d+)/)).toBe(1);
    expect(await metric('providers', /pipevideo_byok_key_verifications_total\{provider="fal",result="invalid"[^}]*\} (\d+)/)).toBe(1);
    expect(await metric('router', /pipevideo_byok_generations_total\{provider="fal"[^}]*\} (\d+)/)).toBe(1);
  }, 180_000);

  it('Replicate: callbacks signed with the org account’s own webhook secret are verified; a forged one is refused', async () => {
    if (skip) return;
    const org = await createFundedOrg(p.baseUrl, p.adminToken, 5_000, 'byok replicate org');
    const admin = (await issueKey(p.baseUrl, p.adminToken, org.orgId, 'management')).key;
    const token = 'r8_orgReplicateToken_9xY1';
    await addAccount(p.sandboxes.replicate.url, 'org-r', token);
    const bad = await http('PUT', `${p.baseUrl}/v1/provider-keys/replicate`, { key: admin, body: { key: 'r8_someone_elses_token' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/Replicate refused this API token/);
    const put = await http('PUT', `${p.baseUrl}/v1/provider-keys/replicate`, { key: admin, body: { key: token } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ provider: 'replicate', last4: '9xY1' });

    // The org account signs with its own secret (not REPLICATE_WEBHOOK_SECRET): verified, completed, fee only.
    const done = await generate(org.key, 'byok: an otter on the org replicate account', 'replicate');
    expect((await submitsFor(p.sandboxes.replicate.url, 'byok: an otter on the org replicate account')).map((s) => s.account)).toEqual(['org-r']);
    expect(done.cost_cents).toBe(FEE_CENTS);
    expect(await usageRow(org.key, done.id)).toMatchObject({ byok: true, cost_cents: FEE_CENTS, provider: 'replicate' });

    // A callback for that org's job that its account did not sign is refused (401), like any other:
    // the job never completes from it, it times out and the fee hold is released.
    const r = await http('POST', `${p.baseUrl}/v1/video/generations`, {
      key: org.key,
      body: { model: 'wan/2.5', prompt: 'byok: forged callback [replicate:bad_signature]', provider: { only: ['replicate'], allow_fallbacks: false } },
    });
    expect(r.status).toBe(200);
    const submit = await waitFor('the forged job submitted', async () => (await submitsFor(p.sandboxes.replicate.url, 'byok: forged callback'))[0]);
    expect(submit.account).toBe('org-r');
    const refused = await waitFor('the forged callback answered', async () =>
      ((await http('GET', `${p.sandboxes.replicate.url}/__sandbox/requests`)).body as any[]).find((e) => e.operation === 'callback' && e.jobId === submit.jobId && e.status),
    );
    expect(refused.status).toBe(401);
    const failed = await pollGeneration(p.baseUrl, org.key, r.body.id);
    expect(failed.status).toBe('failed');
    expect((await usageRow(org.key, r.body.id))?.cost_cents ?? 0).toBe(0);
  }, 180_000);
});
