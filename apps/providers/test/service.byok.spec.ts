import { BROADCASTS, RPC, type ProviderKeysChangedMsg, type RpcSend, type RpcSubject } from '@pipevideo/contracts';
import { waitFor } from './support/receiver';
import { genId, metricValue, startEnv, type Env } from './support/service-env';

/**
 * Bring your own key in the providers service: a key stored over RPC is checked with the provider and
 * kept encrypted; a `byok` submit runs on it (the sandbox sees the org's account), its cancel and fallback
 * poll use it too, and a `byok` submit whose key is gone fails instead of running on the platform's key.
 */
describe('providers service — bring your own key', () => {
  let env: Env;
  // `provider_keys.changed` notices as a router would receive them.
  const notices: ProviderKeysChangedMsg[] = [];
  // The first byok submit and its answer: repeated after the key is deleted.
  let byokAttempt: { g: string; answer: unknown };
  beforeAll(async () => {
    env = await startEnv({ callbackFallbackPollMs: 0 });
    env.svc.ctx.messaging.transport.subscribe(BROADCASTS.providerKeysChanged, (_subject, data) => notices.push(JSON.parse(data)));
    await fetch(`${env.sb.fal.url}/__sandbox/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'org-k', key: 'fal-org-k-key-ABCD' }) });
  }, 30_000);
  afterAll(() => env.close());

  const rpc = <S extends RpcSubject>(subject: S, data: RpcSend<S>) => env.svc.ctx.messaging.rpc.request(subject, data);
  // The job runs 10 s at the sandbox: still running when the test cancels it.
  const falSubmit = (g: string, extra: Record<string, unknown>) =>
    env.submit({ generationId: g, attempt: 1, provider: 'fal', providerModelId: 'fal-ai/veo3.1', api: 'video', params: { prompt: `byok ${g} [fal:slow_job=10000]`, duration: 6 }, deadlineSeconds: 900, ...extra });
  const accountsOf = (jobId: string, operation: string) => env.sb.fal.requests().filter((r) => r.jobId === jobId && r.operation === operation).map((r) => r.account);

  it('refuses a key fal refuses (BAD_REQUEST), stores a good one encrypted, lists it without the key', async () => {
    await expect(rpc(RPC.providers.keyPut, { orgId: 'org_k', provider: 'fal', key: 'wrong-key-000' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const stored = await rpc(RPC.providers.keyPut, { orgId: 'org_k', provider: 'fal', key: 'fal-org-k-key-ABCD' });
    expect(stored).toMatchObject({ provider: 'fal', last4: 'ABCD' });
    expect(await rpc(RPC.providers.keyActive, { orgId: 'org_k' })).toEqual({ providers: ['fal'] });
    expect(await rpc(RPC.providers.keyActive, { orgId: 'org_other' })).toEqual({ providers: [] });
    const [row] = await env.svc.ctx.ds.query(`SELECT ciphertext, account_id FROM provider_keys WHERE org_id = 'org_k'`);
    expect(row.ciphertext).not.toContain('fal-org-k-key-ABCD');
    expect(row.account_id).toBe('org-k-user');
    expect(metricValue(await env.metrics(), 'pipevideo_byok_key_verifications_total', { provider: 'fal', result: 'invalid' })).toBe(1);
    // One notice, for the key stored (the refused one changed nothing). Broadcasts arrive after a hop.
    await waitFor(() => notices.length > 0, 'provider_keys.changed after the put');
    expect(notices).toEqual([{ v: 1, orgId: 'org_k' }]);
  });

  it('a byok submit runs on the org key, and its cancel uses it too; a submit without byok stays on ours', async () => {
    const g = genId('byok');
    const res = await falSubmit(g, { orgId: 'org_k', byok: true });
    expect(res.ok).toBe(true);
    byokAttempt = { g, answer: res };
    const jobId = (res as any).providerJobId;
    expect(accountsOf(jobId, 'submit')).toEqual(['org-k']);
    expect((await env.jobRow(g)).byok).toBe(true);
    expect(await env.cancel(g, 1)).toEqual({ cancelled: true, upstream: 'cancelled' });
    expect(accountsOf(jobId, 'cancel')).toEqual(['org-k']);

    const plain = genId('plain');
    const p = await falSubmit(plain, { orgId: 'org_k' });
    expect(accountsOf((p as any).providerJobId, 'submit')).toEqual(['platform']);
  });

  it('a byok submit whose key was deleted fails as down and never reaches fal on the platform key', async () => {
    await rpc(RPC.providers.keyDelete, { orgId: 'org_k', provider: 'fal' });
    await waitFor(() => notices.length > 1, 'provider_keys.changed after the delete');
    expect(notices).toEqual([{ v: 1, orgId: 'org_k' }, { v: 1, orgId: 'org_k' }]);
    const before = env.sb.fal.requests().filter((r) => r.operation === 'submit').length;
    const res = await falSubmit(genId('gone'), { orgId: 'org_k', byok: true });
    // The org's key, not the route: the router falls back without counting it against fal.
    expect(res).toMatchObject({ ok: false, kind: 'down', retryable: true, ownKey: true });
    expect(env.sb.fal.requests().filter((r) => r.operation === 'submit').length).toBe(before);
    expect(metricValue(await env.metrics(), 'pipevideo_byok_jobs_total', { provider: 'fal', outcome: 'key_missing' })).toBe(1);
    await expect(rpc(RPC.providers.keyDelete, { orgId: 'org_k', provider: 'fal' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(notices).toHaveLength(2);
  });

  it('a repeat of a byok attempt after its key was deleted answers what the first submit got (no key needed to replay)', async () => {
    const before = env.sb.fal.requests().filter((r) => r.operation === 'submit').length;
    expect(await falSubmit(byokAttempt.g, { orgId: 'org_k', byok: true })).toEqual(byokAttempt.answer);
    expect(env.sb.fal.requests().filter((r) => r.operation === 'submit').length).toBe(before);
  });

  it("a byok submit fal refuses for the org's key (revoked at fal) says the key is at fault, not the route", async () => {
    const sandboxAccount = (key: string) =>
      fetch(`${env.sb.fal.url}/__sandbox/accounts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'org-r', key }) });
    await sandboxAccount('fal-org-r-key-WXYZ');
    await rpc(RPC.providers.keyPut, { orgId: 'org_r', provider: 'fal', key: 'fal-org-r-key-WXYZ' });
    await sandboxAccount('fal-org-r-key-NEW1'); // the org rotated its key at fal; ours is stale
    const revoked = genId('revoked');
    const res = await falSubmit(revoked, { orgId: 'org_r', byok: true });
    expect(res).toMatchObject({ ok: false, kind: 'down', retryable: true, ownKey: true, message: expect.stringMatching(/own fal key was refused/) });
    expect(metricValue(await env.metrics(), 'pipevideo_byok_jobs_total', { provider: 'fal', outcome: 'key_refused' })).toBe(1);
    // A repeat of the attempt (a redelivery, a retry after a lost reply) answers the same: still the
    // org's key at fault, so the router still does not count it against the route.
    expect(await falSubmit(revoked, { orgId: 'org_r', byok: true })).toEqual(res);
    // The platform's key still runs a plain submit.
    const plain = await falSubmit(genId('plain-r'), { orgId: 'org_r' });
    expect(plain).toMatchObject({ ok: true });
  });
});
