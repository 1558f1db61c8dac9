import { startAllSandboxes, type SandboxSet } from '..';
import { call, waitFor } from '../testing/helpers';

/**
 * `slow_job` and `flaky`: the faults that make one route slow or unreliable over many jobs (the router's
 * measured health and `provider.sort` are tested against them end to end).
 */
describe('route faults: slow_job and flaky', () => {
  let set: SandboxSet;
  beforeAll(async () => {
    set = await startAllSandboxes({ jobDurationMs: 50 });
  });
  afterAll(async () => set?.close());
  afterEach(async () => {
    for (const s of [set.fal, set.replicate]) s.clearFaults();
  });

  const falSubmit = (prompt: string) => call(`${set.fal.url}/fal-ai/veo3.1`, { auth: `Key ${set.fal.apiKey}`, body: { prompt } });
  const falStatus = async (id: string) => (await call(`${set.fal.url}/fal-ai/veo3.1/requests/${id}/status`, { auth: `Key ${set.fal.apiKey}` })).json.status;
  const falResult = (id: string) => call(`${set.fal.url}/fal-ai/veo3.1/requests/${id}`, { auth: `Key ${set.fal.apiKey}` });
  const repCreate = (prompt: string) => call(`${set.replicate.url}/v1/models/google/veo-3.1/predictions`, { auth: `Bearer ${set.replicate.apiKey}`, body: { input: { prompt } } });
  const repGet = async (id: string) => (await call(`${set.replicate.url}/v1/predictions/${id}`, { auth: `Bearer ${set.replicate.apiKey}` })).json;

  it.each(['marker', 'control'] as const)('slow_job (%s): the job runs delayMs instead of jobDurationMs; the submit answers at once', async (via) => {
    if (via === 'control') set.fal.setFault({ fault: 'slow_job', delayMs: 600, times: 1 });
    const slow = await falSubmit(via === 'marker' ? 'a cat [fal:slow_job=600]' : 'a cat');
    const quick = await falSubmit('a cat');
    expect([slow.status, quick.status]).toEqual([200, 200]);
    await waitFor(async () => (await falStatus(quick.json.request_id)) === 'COMPLETED', 'quick job');
    expect(await falStatus(slow.json.request_id)).not.toBe('COMPLETED');
    await waitFor(async () => (await falStatus(slow.json.request_id)) === 'COMPLETED', 'slow job', 5000);
    expect((await falResult(slow.json.request_id)).status).toBe(200);
    expect(set.fal.requests().filter((r) => r.operation === 'submit').map((r) => r.fault)).toContain('slow_job');
  });

  it('slow_job on Replicate', async () => {
    set.replicate.setFault({ fault: 'slow_job', delayMs: 500 });
    const p = await repCreate('a cat');
    expect(p.status).toBe(201);
    await new Promise((r) => setTimeout(r, 150));
    expect((await repGet(p.json.id)).status).not.toBe('succeeded');
    await waitFor(async () => (await repGet(p.json.id)).status === 'succeeded', 'slow prediction', 5000);
  });

  it('flaky: exactly percent% of the jobs fail after being accepted, evenly spread (rule and marker)', async () => {
    set.replicate.setFault({ fault: 'flaky', percent: 50 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await repCreate(`job ${i}`)).json.id);
    const outcomes: string[] = [];
    for (const id of ids) outcomes.push(await waitFor(async () => ((s) => (s === 'succeeded' || s === 'failed' ? s : undefined))((await repGet(id)).status), 'terminal'));
    expect(outcomes.filter((o) => o === 'failed')).toHaveLength(3);
    expect(outcomes).toEqual(['succeeded', 'failed', 'succeeded', 'failed', 'succeeded', 'failed']);
    expect(set.replicate.requests().filter((r) => r.operation === 'submit').map((r) => r.fault)).toContain('flaky(fails)');

    const f = await falSubmit('a cat [fal:flaky=100]');
    await waitFor(async () => (await falStatus(f.json.request_id)) === 'COMPLETED', 'flaky fal job');
    expect((await falResult(f.json.request_id)).status).toBe(500);
  });

  it('validates the new rule fields', async () => {
    const bad = await call(`${set.fal.url}/__sandbox/faults`, { body: { fault: 'flaky', percent: 140 } });
    expect([bad.status, bad.json.error ?? bad.json]).toEqual([400, expect.stringMatching(/percent must be a number from 0 to 100/)]);
  });
});
