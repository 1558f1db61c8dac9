/**
 * Routing, fallbacks and the lifecycle through the sandboxes' fault switches, over HTTP against the
 * services running as separate processes on NATS.
 */
import { http, pollGeneration, waitFor } from './harness/http';
import { balanceOf, settledBalance } from './harness/org';
import { bootMicroservices, createFundedOrg, Platform } from './harness/platform';

describe('faults, fallbacks and the lifecycle (microservices mode)', () => {
  let p: Platform;
  let key: string;
  let skip = false;

  beforeAll(async () => {
    // Breakers stay closed here (their own tests open them on purpose); timeouts are seconds.
    ({ p, skip } = await bootMicroservices({ env: { PIPEVIDEO_BREAKER_VOLUME: '1000' } }));
    if (skip) return;
    key = (await createFundedOrg(p.baseUrl, p.adminToken, 100_000, 'faults org')).key;
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });
  afterEach(() => {
    if (skip) return;
    for (const s of [p.sandboxes.fal, p.sandboxes.replicate, p.sandboxes.vercelGateway, p.sandboxes.framerate]) s.clearFaults();
  });

  const create = async (body: Record<string, unknown>) => {
    const r = await http('POST', `${p.baseUrl}/v1/video/generations`, { key, body });
    expect(r.status).toBe(200);
    return r.body.id as string;
  };
  const run = async (body: Record<string, unknown>) => pollGeneration(p.baseUrl, key, await create(body), 60_000);

  it('first provider down → the second route serves', async () => {
    if (skip) return;
    const g = await run({ model: 'google/veo-3.1', prompt: 'A cat [fal:down]', provider: { order: ['fal', 'replicate'] } });
    expect(g.status).toBe('completed');
    expect(g.provider).toBe('replicate');
    expect(g.attempts[0]).toMatchObject({ provider: 'fal', outcome: 'failed' });
  });

  it('429 from the first route → fallback', async () => {
    if (skip) return;
    const g = await run({ model: 'google/veo-3.1', prompt: 'A cat [fal:rate_limited]', provider: { order: ['fal'] } });
    expect(g.status).toBe('completed');
    expect(g.provider).not.toBe('fal');
    expect(g.attempts[0]).toMatchObject({ provider: 'fal', outcome: 'failed', error_code: 'provider_rate_limited' });
  });

  it('every route of the first model failing → the next model serves and is billed at its price', async () => {
    if (skip) return;
    p.sandboxes.fal.setFault({ fault: 'down', modelId: 'fal-ai/wan-25-preview/text-to-video' });
    p.sandboxes.replicate.setFault({ fault: 'down', modelId: 'wan-video/wan-2.5-t2v' });
    p.sandboxes.vercelGateway.setFault({ fault: 'down', modelId: 'alibaba/wan-v2.5-t2v-preview' });
    const before = await settledBalance(p.baseUrl, key);
    const g = await run({ models: ['wan/2.5', 'kling/3.0-pro'], prompt: 'A fox in the snow', duration: 5 });
    expect(g.status).toBe('completed');
    expect(g.model).toBe('kling/3.0-pro');
    const after = await settledBalance(p.baseUrl, key);
    expect(before.balance_cents - after.balance_cents).toBe(g.cost_cents);
  });

  it('all routes fail → failed and fully refunded', async () => {
    if (skip) return;
    const before = await settledBalance(p.baseUrl, key);
    const g = await run({ model: 'google/veo-3.1', prompt: 'nothing works [any:down]' });
    expect(g.status).toBe('failed');
    expect(g.error_message).toMatch(/^Provider submission failed/);
    expect(g.cost_cents).toBeNull();
    await waitFor('holds released', async () => (await balanceOf(p.baseUrl, key)).held_cents === before.held_cents);
    expect((await balanceOf(p.baseUrl, key)).balance_cents).toBe(before.balance_cents);
  });

  it('moderation failure → the next model', async () => {
    if (skip) return;
    p.sandboxes.fal.setFault({ fault: 'moderation', modelId: 'fal-ai/veo3.1' });
    const g = await run({ models: ['google/veo-3.1', 'kling/3.0-pro'], prompt: 'A cat', provider: { order: ['fal'] } });
    expect(g.status).toBe('completed');
    expect(g.model).toBe('kling/3.0-pro');
  });

  it('a provider that never calls back → failed after the timeout, refunded', async () => {
    if (skip) return;
    const before = await settledBalance(p.baseUrl, key);
    const g = await run({ model: 'google/veo-3.1', prompt: 'silence [fal:never_callback]', provider: { order: ['fal'] } });
    expect(g.status).toBe('failed');
    expect(g.error_message).toBe('Provider callback timed out');
    await waitFor('hold released', async () => (await balanceOf(p.baseUrl, key)).held_cents === before.held_cents);
    expect((await balanceOf(p.baseUrl, key)).balance_cents).toBe(before.balance_cents);
  });

  it('a duplicated callback → one completion, one capture', async () => {
    if (skip) return;
    const before = await settledBalance(p.baseUrl, key);
    const g = await run({ model: 'google/veo-3.1', prompt: 'twice [fal:duplicate_callback]', provider: { order: ['fal'] } });
    expect(g.status).toBe('completed');
    await new Promise((r) => setTimeout(r, 1000)); // room for the duplicate to (wrongly) capture again
    const after = await settledBalance(p.baseUrl, key);
    expect(before.balance_cents - after.balance_cents).toBe(g.cost_cents);
  });

  it('a forged callback signature is refused; the generation ends by timeout, refunded', async () => {
    if (skip) return;
    const before = await settledBalance(p.baseUrl, key);
    const g = await run({ model: 'google/veo-3.1', prompt: 'forged [fal:bad_signature]', provider: { order: ['fal'] } });
    expect(g.status).toBe('failed');
    const callbacks = p.sandboxes.fal.requests().filter((r) => r.operation === 'callback');
    expect(callbacks.some((c) => c.status === 401)).toBe(true);
    await waitFor('hold released', async () => (await balanceOf(p.baseUrl, key)).held_cents === before.held_cents);
  });

  it.each(['router', 'billing', 'providers', 'webhooks'] as const)(
    'the %s service killed with SIGKILL mid-flight and restarted: every generation ends, every hold settles once',
    async (service) => {
      if (skip) return;
      const before = await settledBalance(p.baseUrl, key);
      const ids = await Promise.all([1, 2, 3].map((i) => create({ model: 'google/veo-3.1', prompt: `crash ${service} ${i} [fal:slow=1500]`, provider: { order: ['fal'] } })));
      await p.kill(service, 'SIGKILL');
      await p.start(service);
      let charged = 0;
      for (const id of ids) {
        const g = await pollGeneration(p.baseUrl, key, id, 60_000);
        expect(['completed', 'failed']).toContain(g.status);
        charged += g.status === 'completed' ? g.cost_cents : 0;
      }
      const after = await settledBalance(p.baseUrl, key);
      expect(before.balance_cents - after.balance_cents).toBe(charged);
    },
  );
});
