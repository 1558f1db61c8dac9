/**
 * The contract suite: every curl and JSON example of the public documentation (`../shared/spec/`, five
 * pages) run against the whole platform (microservices mode, provider sandboxes), checking every field,
 * type and status value the pages document. Every answer seen here is also validated against the OpenAPI
 * document the gateway serves (closed schemas: an undocumented field fails), and so is the webhook.
 *
 * One deliberate difference: spec 004's examples ask `google/veo-3.1` for `duration: 5`, which Veo does
 * not make (4, 6 or 8 s). The platform answers 400 naming the allowed values (docs/architecture.md,
 * apps/router/README.md) — asserted exactly — and the rest of each example runs with 6 s.
 */
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { ContractClient } from './harness/contract';
import { http, waitFor } from './harness/http';
import { bootMicroservices, createFundedOrg, issueKey, Platform } from './harness/platform';

const PROMPT = 'A cat walking on a beach at sunset';
const UNIX_NOW = () => Math.floor(Date.now() / 1000);
/** Matches a unix-seconds timestamp of this test run (not milliseconds, not ISO). */
const unixSeconds = (): any => ({
  asymmetricMatch: (t: unknown) => Number.isInteger(t) && (t as number) > UNIX_NOW() - 3600 && (t as number) <= UNIX_NOW() + 5,
  toAsymmetricMatcher: () => 'unix seconds of this run',
});

async function receiver(): Promise<{ url: string; got: Array<{ headers: IncomingHttpHeaders; body: string }>; server: Server }> {
  const got: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, got, server };
}

describe('the spec pages, example by example (microservices mode)', () => {
  let p: Platform;
  let skip = false;
  let api: ContractClient;
  let key: string;
  let orgId: string;
  beforeAll(async () => {
    ({ p, skip } = await bootMicroservices());
    if (skip) return;
    api = await ContractClient.connect(p.baseUrl);
    ({ key, orgId } = await createFundedOrg(p.baseUrl, p.adminToken, 50_000, 'contract org'));
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  /** Polls as the spec's scripts do (every 200 ms here) until a final status. */
  const pollVideo = (id: string) =>
    waitFor(`generation ${id}`, async () => {
      const r = await api.call('GET', `/v1/video/generations/${id}`, { key });
      expect(r.status).toBe(200);
      expect(['pending', 'processing', 'completed', 'failed']).toContain(r.body.status);
      return ['completed', 'failed'].includes(r.body.status) ? r.body : undefined;
    }, 60_000);
  const pollResponse = (id: string) =>
    waitFor(`response ${id}`, async () => {
      const r = await api.call('GET', `/v1/responses/${id}`, { key });
      expect(r.status).toBe(200);
      expect(['queued', 'in_progress', 'completed', 'failed', 'cancelled', 'incomplete']).toContain(r.body.status);
      return ['completed', 'failed', 'cancelled', 'incomplete'].includes(r.body.status) ? r.body : undefined;
    }, 60_000);

  describe('003 Quickstart', () => {
    it('4. first generation: the curl answers {id, status: "pending", created_at}; 5. polling shows every documented field', async () => {
      if (skip) return;
      const created = await api.call('POST', '/v1/video/generations', { key, body: { model: 'google/veo-3.1', prompt: PROMPT } });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({ id: expect.stringMatching(/^gen_/), status: 'pending', created_at: unixSeconds() });

      const first = await api.call('GET', `/v1/video/generations/${created.body.id}`, { key });
      expect(first.body).toMatchObject({ id: created.body.id, output_url: null, cost_cents: null, latency_ms: null, error_message: null, completed_at: null });
      expect(['pending', 'processing', 'completed']).toContain(first.body.status);

      const done = await pollVideo(created.body.id);
      expect(done).toMatchObject({
        id: created.body.id,
        status: 'completed',
        output_url: expect.stringMatching(/^https?:\/\//),
        cost_cents: expect.any(Number),
        latency_ms: expect.any(Number),
        error_message: null,
        created_at: created.body.created_at,
        completed_at: unixSeconds(),
      });
      expect(done.completed_at).toBeGreaterThanOrEqual(done.created_at);
    });

    it('the example polling script, as printed, returns the output_url', async () => {
      if (skip) return;
      // spec 003's waitForGeneration, verbatim but for the base URL and a shorter interval.
      async function waitForGeneration(apiKey: string, generationId: string) {
        const baseUrl = p.baseUrl;
        const headers = { Authorization: `Bearer ${apiKey}` };
        while (true) {
          const res = await fetch(`${baseUrl}/v1/video/generations/${generationId}`, { headers });
          const data: any = await res.json();
          if (data.status === 'completed') return data.output_url;
          if (data.status === 'failed') throw new Error(data.error_message || 'Generation failed');
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      const created = await api.call('POST', '/v1/video/generations', { key, body: { model: 'google/veo-3.1', prompt: PROMPT } });
      await expect(waitForGeneration(key, created.body.id)).resolves.toMatch(/^https?:\/\//);
      // …and its failure branch throws the error_message.
      const failing = await api.call('POST', '/v1/video/generations', { key, body: { model: 'google/veo-3.1', prompt: `${PROMPT} [any:down]` } });
      await expect(waitForGeneration(key, failing.body.id)).rejects.toThrow(/^Provider submission failed: /);
    });

    it('"Check your balance with GET /v1/usage"; "List available models with GET /v1/models"', async () => {
      if (skip) return;
      const usage = await api.call('GET', '/v1/usage', { key });
      expect(usage.status).toBe(200);
      expect(usage.body.balance).toEqual({ balance_cents: expect.any(Number), held_cents: expect.any(Number), available_cents: expect.any(Number), owed_cents: 0 });
      const models = await api.call('GET', '/v1/models');
      expect(models.status).toBe(200);
      expect(models.body.data.map((m: any) => m.id)).toEqual(expect.arrayContaining(['google/veo-3.1', 'kling/3.0-pro', 'wan/2.5']));
    });
  });

  describe('004 Video Generation Guide', () => {
    it('example request: Veo at duration 5 is refused naming the durations Veo makes; at 6 it answers as documented', async () => {
      if (skip) return;
      const asPrinted = { model: 'google/veo-3.1', prompt: PROMPT, aspectRatio: '16:9', duration: 5 };
      const refused = await api.call('POST', '/v1/video/generations', { key, body: asPrinted });
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/duration 5/) });
      expect(refused.body.error.message).toMatch(/4, 6,? (or |and )?8|4, 6, 8|\[4, ?6, ?8\]/);

      const created = await api.call('POST', '/v1/video/generations', { key, body: { ...asPrinted, duration: 6 } });
      expect(created.status).toBe(200);
      expect(created.body).toEqual({ id: expect.stringMatching(/^gen_/), status: 'pending', model: 'google/veo-3.1', created_at: unixSeconds() });
      const done = await pollVideo(created.body.id);
      expect(done).toMatchObject({ status: 'completed', model: 'google/veo-3.1', duration: 6 });
    });

    it('model fallbacks: models[] in priority order; the poll names the model actually used', async () => {
      if (skip) return;
      const asPrinted = { models: ['google/veo-3.1', 'kling/3.0-pro', 'wan/2.5'], prompt: PROMPT, aspectRatio: '16:9', duration: 5 };
      const r = await api.call('POST', '/v1/video/generations', { key, body: asPrinted });
      // Veo cannot make 5 s, Kling and Wan can: the request runs on the first model that makes it.
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ status: 'pending', model: 'google/veo-3.1' }); // "the initial model (first in the list)"
      const done = await pollVideo(r.body.id);
      expect(done.status).toBe('completed');
      expect(['kling/3.0-pro', 'wan/2.5']).toContain(done.model);

      // With a duration Veo makes, the first model runs (fallback on failure is faults.e2e.spec.ts' subject).
      const at6 = await api.call('POST', '/v1/video/generations', { key, body: { ...asPrinted, duration: 6 } });
      expect(at6.body).toMatchObject({ status: 'pending', model: 'google/veo-3.1' });
      expect(await pollVideo(at6.body.id)).toMatchObject({ status: 'completed', model: 'google/veo-3.1', duration: 6 });
    });

    it('provider routing: order ["fal"]; a cost cap with order ["fal", "replicate"]; vercel-gateway is not user-selectable', async () => {
      if (skip) return;
      const preferred = await api.call('POST', '/v1/video/generations', { key, body: { model: 'google/veo-3.1', prompt: PROMPT, provider: { order: ['fal'] } } });
      expect(preferred.status).toBe(200);
      expect(await pollVideo(preferred.body.id)).toMatchObject({ status: 'completed', provider: 'fal' });

      const capped = await api.call('POST', '/v1/video/generations', {
        key,
        body: { model: 'google/veo-3.1', prompt: PROMPT, provider: { order: ['fal', 'replicate'], max_price: { per_request_cents: 500 } } },
      });
      expect(capped.status).toBe(200);
      const cappedDone = await pollVideo(capped.body.id);
      expect(cappedDone.cost_cents).toBeLessThanOrEqual(500);
      expect(['fal', 'replicate']).toContain(cappedDone.provider);

      const internal = await api.call('POST', '/v1/video/generations', { key, body: { model: 'google/veo-3.1', prompt: PROMPT, provider: { order: ['vercel-gateway'] } } });
      expect(internal.status).toBe(400);
      expect(internal.body.error.message).toMatch(/not user-selectable.*fal, replicate/);
    });

    it('webhooks: video.generation.completed with generationId, status, outputUrl, errorMessage — and the generation as GET returns it', async () => {
      if (skip) return;
      const recv = await receiver();
      try {
        const ep = await api.call('POST', '/v1/webhooks', { key, body: { url: recv.url } });
        expect(ep.status).toBe(201);
        const ok = await api.call('POST', '/v1/video/generations', { key, body: { model: 'google/veo-3.1', prompt: PROMPT } });
        const bad = await api.call('POST', '/v1/video/generations', { key, body: { model: 'google/veo-3.1', prompt: `${PROMPT} [any:down]` } });
        const okDone = await pollVideo(ok.body.id);
        const badDone = await pollVideo(bad.body.id);
        await waitFor('both events', async () => recv.got.length >= 2, 30_000);
        const wh = new Webhook(ep.body.secret);
        const events = recv.got.map((g) => wh.verify(g.body, g.headers as Record<string, string>) as any);
        for (const e of events) api.assertSchema('VideoGenerationCompletedEvent', e, 'the webhook');
        const byId = Object.fromEntries(events.map((e) => [e.data.generationId, e]));
        expect(byId[ok.body.id]).toMatchObject({ type: 'video.generation.completed', data: { generationId: ok.body.id, status: 'completed', outputUrl: okDone.output_url, errorMessage: null } });
        expect(byId[bad.body.id]).toMatchObject({ type: 'video.generation.completed', data: { generationId: bad.body.id, status: 'failed', outputUrl: null, errorMessage: badDone.error_message } });
        expect(byId[ok.body.id].data.generation).toEqual(okDone);
        expect(byId[bad.body.id].data.generation).toEqual(badDone);
      } finally {
        recv.server.close();
      }
    });

    it('generation failures: error_message starts with the documented cause and carries a stable error_code; credits are refunded', async () => {
      if (skip) return;
      const before = (await api.call('GET', '/v1/billing/balance', { key })).body;
      const r = await api.call('POST', '/v1/video/generations', { key, body: { model: 'google/veo-3.1', prompt: `${PROMPT} [any:down]` } });
      const g = await pollVideo(r.body.id);
      expect(g).toMatchObject({ status: 'failed', output_url: null, cost_cents: null, error_code: 'provider_unavailable', error_message: expect.stringMatching(/^Provider submission failed: /) });
      expect(JSON.stringify(g)).not.toMatch(/vercel-gateway|@|sandbox/i);
      const after = await waitFor('refund', async () => {
        const b = (await api.call('GET', '/v1/billing/balance', { key })).body;
        return b.held_cents === 0 ? b : undefined;
      });
      expect(after.available_cents).toBe(before.available_cents + before.held_cents);
    });

    it('API errors: 401 UNAUTHORIZED, 400 BAD_REQUEST (model not found), 404 NOT_FOUND, 429 TOO_MANY_REQUESTS with retry_after', async () => {
      if (skip) return;
      const noKey = await api.call('POST', '/v1/video/generations', { body: { model: 'google/veo-3.1', prompt: PROMPT } });
      expect(noKey.status).toBe(401);
      expect(noKey.body.error.code).toBe('UNAUTHORIZED');
      const unknown = await api.call('POST', '/v1/video/generations', { key, body: { model: 'nope/nope', prompt: PROMPT } });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/Model not found/) });
      const missing = await api.call('GET', '/v1/video/generations/gen_doesnotexist', { key });
      expect(missing.status).toBe(404);
      expect(missing.body.error.code).toBe('NOT_FOUND');
      // A key limited to 1 request per minute: the second is refused with retry_after (once, in the error).
      const slow = await api.call('POST', `/v1/keys`, { key: (await issueKey(p.baseUrl, p.adminToken, orgId, 'management')).key, body: { name: 'slow', rate_limit_per_minute: 1 } });
      expect(slow.status).toBe(201);
      await api.call('GET', '/v1/video/generations', { key: slow.body.key });
      const limited = await api.call('GET', '/v1/video/generations', { key: slow.body.key });
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({ error: { code: 'TOO_MANY_REQUESTS', message: expect.any(String), retry_after: expect.any(Number) } });
    });
  });

  describe('001 / 002 Responses', () => {
    it('the create curl answers the documented response object; polling ends completed with every documented field', async () => {
      if (skip) return;
      const created = await api.call('POST', '/v1/responses', { key, body: { model: 'moonshotai/kimi-k2.5', input: PROMPT, provider: { order: ['framerate'] } } });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({
        id: expect.stringMatching(/^gen_/),
        object: 'response',
        status: 'queued',
        model: 'moonshotai/kimi-k2.5',
        engine: 'hyperframes',
        provider: 'framerate',
        created_at: unixSeconds(),
        output: [{ type: 'message', id: `${created.body.id}_msg`, role: 'assistant', status: 'in_progress', content: [] }],
        output_video_url: null,
        usage: null,
      });
      const done = await pollResponse(created.body.id);
      expect(done).toMatchObject({
        id: created.body.id,
        object: 'response',
        status: 'completed',
        model: 'moonshotai/kimi-k2.5',
        engine: 'hyperframes',
        provider: 'framerate',
        created_at: created.body.created_at,
        output: [{ type: 'message', id: `${created.body.id}_msg`, role: 'assistant', status: 'completed', content: [{ type: 'output_video', video_url: { url: expect.any(String), expires_at: expect.any(Number) } }] }],
        output_video_url: expect.stringMatching(/^https?:\/\//),
        usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number), total_tokens: expect.any(Number), cost_usd: expect.any(Number) },
        latency_ms: expect.any(Number),
        error: null,
      });
      expect(done.output[0].content[0].video_url.url).toBe(done.output_video_url);
      expect(done.usage.total_tokens).toBe(done.usage.input_tokens + done.usage.output_tokens);
      // completed_at is in milliseconds (spec 002), created_at in seconds.
      expect(done.completed_at).toBeGreaterThanOrEqual(done.created_at * 1000);
      expect(done.completed_at).toBeLessThanOrEqual(Date.now() + 5000);
    });

    it('the multimodal JSON example (instructions + input_text + input_image) is accepted as documented', async () => {
      if (skip) return;
      const body = {
        model: 'moonshotai/kimi-k2.5',
        instructions: 'You are a motion designer.',
        input: [
          {
            role: 'user',
            content: [
              { type: 'input_text', text: 'Animate this logo with a smooth fade-in' },
              { type: 'input_image', image_url: { url: 'https://example.com/logo.png' } },
            ],
          },
        ],
      };
      const created = await api.call('POST', '/v1/responses', { key, body });
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({ object: 'response', status: 'queued', instructions: 'You are a motion designer.', engine: 'hyperframes' });
      const done = await pollResponse(created.body.id);
      expect(['completed', 'failed']).toContain(done.status);
    });

    it('DELETE /v1/responses/{id} answers { id, cancelled: true }', async () => {
      if (skip) return;
      const created = await api.call('POST', '/v1/responses', { key, body: { model: 'moonshotai/kimi-k2.5', input: `${PROMPT} [framerate:slow=3000]` } });
      const cancelled = await api.call('DELETE', `/v1/responses/${created.body.id}`, { key });
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toEqual({ id: created.body.id, cancelled: true });
      expect((await api.call('GET', `/v1/responses/${created.body.id}`, { key })).body.status).toBe('cancelled');
    });

    it('HTTP errors in OpenAI\'s shape: 401, 400 (invalid model), 404', async () => {
      if (skip) return;
      const noKey = await api.call('POST', '/v1/responses', { body: { model: 'moonshotai/kimi-k2.5', input: PROMPT } });
      expect(noKey.status).toBe(401);
      expect(noKey.body.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
      const engineAsModel = await api.call('POST', '/v1/responses', { key, body: { model: 'hyperframes', input: PROMPT } });
      expect(engineAsModel.status).toBe(400);
      expect(engineAsModel.body.error).toMatchObject({ type: 'invalid_request_error', message: expect.stringMatching(/engine slug/) });
      const missing = await api.call('GET', '/v1/responses/gen_doesnotexist', { key });
      expect(missing.status).toBe(404);
    });
  });

  describe('000 Core concepts', () => {
    it('GET /v1/engines lists engines and their orchestration models; the model field is an orchestration model id', async () => {
      if (skip) return;
      const r = await api.call('GET', '/v1/engines');
      expect(r.status).toBe(200);
      const hf = r.body.data.find((e: any) => e.id === 'hyperframes');
      expect(hf.models.map((m: any) => m.id)).toContain('moonshotai/kimi-k2.5');
    });

    it('app attribution headers (HTTP-Referer, X-Pipevideo-Title / X-Title) reach usage; rankings show the origin, never the path', async () => {
      if (skip) return;
      const headers = { 'HTTP-Referer': 'https://contract.example/app/page?session_token=abc', 'X-Title': 'Contract App' };
      const r = await api.call('POST', '/v1/video/generations', { key, headers, body: { model: 'wan/2.5', prompt: PROMPT } });
      await pollVideo(r.body.id);
      const usage = await waitFor('usage row', async () => {
        const u = await api.call('GET', '/v1/usage', { key });
        return u.body.data.find((x: any) => x.id === r.body.id && x.status === 'completed');
      });
      expect(usage).toMatchObject({ app_title: 'Contract App', api: 'video', model: 'wan/2.5', created_at: unixSeconds(), completed_at: unixSeconds() });
      const rankings = await api.call('GET', '/v1/apps/rankings?window_hours=1');
      expect(rankings.status).toBe(200);
      expect(JSON.stringify(rankings.body)).not.toMatch(/session_token|\/app\/page/);
    });
  });

  it('every list, object and settings endpoint answers in the documented shapes', async () => {
    if (skip) return;
    const mgmt = await issueKey(p.baseUrl, p.adminToken, orgId, 'management');
    for (const path of ['/v1/video/generations?limit=5', '/v1/usage?limit=5', '/v1/billing/balance', '/v1/webhooks', '/v1/apps/rankings/settings']) {
      expect({ path, status: (await api.call('GET', path, { key })).status }).toEqual({ path, status: 200 });
    }
    for (const path of ['/v1/models', '/v1/models/google/veo-3.1', '/v1/engines', '/v1/apps/rankings']) expect((await api.call('GET', path)).status).toBe(200);
    expect((await api.call('GET', '/v1/keys', { key: mgmt.key })).status).toBe(200);
    // Bring your own key: the org's own fal account at the (sandboxed) provider.
    expect((await http('POST', `${p.sandboxes.fal.url}/__sandbox/accounts`, { body: { name: 'contract-org', key: 'fal-contract-org-key-0001' } })).status).toBe(200);
    expect((await api.call('PUT', '/v1/provider-keys/fal', { key: mgmt.key, body: { key: 'not-a-fal-key' } })).status).toBe(400);
    expect((await api.call('PUT', '/v1/provider-keys/fal', { key: mgmt.key, body: { key: 'fal-contract-org-key-0001' } })).status).toBe(200);
    expect((await api.call('GET', '/v1/provider-keys', { key: mgmt.key })).body.data).toHaveLength(1);
    expect((await api.call('DELETE', '/v1/provider-keys/fal', { key: mgmt.key })).status).toBe(200);
    expect((await api.call('DELETE', '/v1/provider-keys/fal', { key: mgmt.key })).status).toBe(404);
    const recv = await receiver();
    try {
      const ep = (await api.call('POST', '/v1/webhooks', { key, body: { url: recv.url, description: 'shapes' } })).body;
      expect((await api.call('POST', `/v1/webhooks/${ep.id}/test`, { key })).status).toBe(200);
      await waitFor('the test event', async () => recv.got.length >= 1);
      api.assertSchema('WebhookTestEvent', JSON.parse(recv.got[0].body), 'webhook.test');
      expect((await api.call('GET', `/v1/webhooks/${ep.id}`, { key })).status).toBe(200);
      expect((await api.call('GET', `/v1/webhooks/${ep.id}/deliveries`, { key })).status).toBe(200);
      expect((await api.call('POST', `/v1/webhooks/${ep.id}/rotate-secret`, { key })).status).toBe(200);
      expect((await api.call('PATCH', `/v1/webhooks/${ep.id}`, { key, body: { description: 'changed' } })).status).toBe(200);
      expect((await api.call('DELETE', `/v1/webhooks/${ep.id}`, { key })).status).toBe(200);
    } finally {
      recv.server.close();
    }
    const optOut = await api.call('PATCH', '/v1/apps/rankings/settings', { key, body: { opt_out: true } });
    expect(optOut.body).toMatchObject({ object: 'rankings_settings', opt_out: true, opted_out_at: unixSeconds() });
    expect((await api.call('PATCH', '/v1/apps/rankings/settings', { key, body: { opt_out: 'yes' } })).status).toBe(400);
    // The headline price is a default request's: default duration and resolution, no audio.
    const veo = (await api.call('GET', '/v1/models/google/veo-3.1')).body;
    expect(veo.pricing).toMatchObject({ duration: veo.default_duration, resolution: veo.default_resolution });
    expect(veo.pricing_by_resolution.map((x: any) => x.resolution)).toEqual(veo.resolutions);
    // Internal route names never leave.
    const lists = await Promise.all(['/v1/video/generations?limit=100', '/v1/usage?limit=100'].map((path) => api.call('GET', path, { key })));
    for (const l of lists) expect(JSON.stringify(l.body)).not.toContain('vercel-gateway');
  });
});
