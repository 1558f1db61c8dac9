/**
 * Money matches the work, over HTTP against the whole platform (microservices mode, NATS) and the
 * provider sandboxes: what a customer is billed is the catalog price of exactly what the provider was
 * asked to make — read back from the request body each sandbox received, never from our own records.
 */
import fc from 'fast-check';
import { http, pollGeneration } from './harness/http';
import { balanceOf, settledBalance } from './harness/org';
import { bootMicroservices, createFundedOrg, Platform } from './harness/platform';

type SandboxKey = 'fal' | 'replicate' | 'vercelGateway';
const VIDEO_SANDBOXES: SandboxKey[] = ['fal', 'replicate', 'vercelGateway'];
/** The provider name each sandbox's routes are listed under in `GET /v1/models` endpoints. */
const LISTED_AS: Record<SandboxKey, string> = { fal: 'fal', replicate: 'replicate', vercelGateway: 'pipevideo' };

interface Received {
  sandbox: SandboxKey;
  modelId?: string;
  duration: number;
  resolution: string;
  audio: boolean;
  /** The provider input as received (option values are looked up here under the catalog's names). */
  input: Record<string, unknown>;
}

/** What a provider was asked to make, read from the body its sandbox received, in our terms. */
function readReceived(sandbox: SandboxKey, modelId: string | undefined, body: any): Received {
  const input = sandbox === 'replicate' ? body.input : body;
  const size = /^(\d+)x(\d+)$/.exec(String(input.resolution ?? ''));
  return {
    sandbox,
    modelId,
    duration: parseFloat(String(input.duration)), // fal sends "8s" or "5", the others numbers
    resolution: size ? `${Math.min(Number(size[1]), Number(size[2]))}p` : String(input.resolution),
    audio: (input.generate_audio ?? input.generateAudio) === true,
    input,
  };
}

/** The catalog price (as `GET /v1/models` publishes it) of exactly what was received. */
function priceOf(models: any[], modelSlug: string, r: Received): number {
  const model = models.find((m) => m.id === modelSlug);
  const endpoint = model.endpoints.find((e: any) => e.provider === LISTED_AS[r.sandbox]);
  const price = endpoint.pricing.find((p: any) => p.resolution === r.resolution);
  if (!price) throw new Error(`${modelSlug}@${r.sandbox} lists no price for ${r.resolution}`);
  let perRequest = price.per_request_cents;
  let perSecond = price.per_second_cents * (r.audio ? endpoint.audio_multiplier : 1);
  for (const [name, def] of Object.entries<any>(model.options ?? {})) {
    const sent = r.input[name];
    if (sent === undefined || sent === false || def.price === 'none') continue;
    perRequest += def.price.per_request_cents ?? 0;
    perSecond *= def.price.per_second_multiplier ?? 1;
  }
  return Math.ceil(Math.round((perRequest + perSecond * r.duration) * 1e6) / 1e6);
}

describe('money matches the work (microservices mode)', () => {
  let p: Platform;
  let key: string;
  let models: any[];
  let skip = false;

  beforeAll(async () => {
    ({ p, skip } = await bootMicroservices({ env: { PIPEVIDEO_BREAKER_VOLUME: '1000' } }));
    if (skip) return;
    key = (await createFundedOrg(p.baseUrl, p.adminToken, 1_000_000, 'money org')).key;
    models = (await http('GET', `${p.baseUrl}/v1/models`, { key })).body.data;
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });
  afterEach(() => {
    if (skip) return;
    for (const s of VIDEO_SANDBOXES) p.sandboxes[s].clearFaults();
  });

  /** Submits each video sandbox accepted from log position `since` on. */
  const acceptedSince = (since: Record<SandboxKey, number>) =>
    VIDEO_SANDBOXES.flatMap((s) =>
      p.sandboxes[s]
        .requests()
        .slice(since[s])
        .filter((e) => e.operation === 'submit' && e.status !== undefined && e.status < 300)
        .map((e) => readReceived(s, e.modelId, e.body)),
    );
  const logPositions = () => Object.fromEntries(VIDEO_SANDBOXES.map((s) => [s, p.sandboxes[s].requests().length])) as Record<SandboxKey, number>;

  it('GET /v1/models lists the exact durations of every model; min and max are their ends', async () => {
    if (skip) return;
    for (const m of models) {
      expect(Array.isArray(m.durations) && m.durations.length > 0).toBe(true);
      expect(m.min_duration).toBe(m.durations[0]);
      expect(m.max_duration).toBe(m.durations[m.durations.length - 1]);
      for (const e of m.endpoints) expect(Array.isArray(e.durations)).toBe(true);
    }
  });

  it('property: over random requests, cost_cents is the catalog price of exactly what the provider received', async () => {
    if (skip) return;
    const slugs = models.map((m) => m.id);
    const request = fc
      .record({
        models: fc.uniqueArray(fc.constantFrom(...slugs), { minLength: 1, maxLength: 3 }),
        // Mostly durations the first model makes (by index), sometimes any whole number or a fraction.
        durationPick: fc.oneof(
          { weight: 2, arbitrary: fc.constant(undefined) },
          { weight: 4, arbitrary: fc.nat(2).map((i) => ({ index: i })) },
          { weight: 1, arbitrary: fc.integer({ min: 1, max: 16 }) },
          { weight: 1, arbitrary: fc.constantFrom(4.01, 4.4, 6.01, 5.5) },
        ),
        resolutionPick: fc.option(fc.nat(5), { nil: undefined }),
        withAudio: fc.option(fc.boolean(), { nil: undefined }),
        optionPicks: fc.array(fc.nat(10), { maxLength: 2 }),
        image: fc.boolean(),
        fault: fc.constantFrom('', '', ' [fal:down]', ' [replicate:down]'),
      })
      .map((r) => {
        const first = models.find((m) => m.id === r.models[0]);
        const body: Record<string, any> = { models: r.models, prompt: `a fox in the snow${r.fault}` };
        if (typeof r.durationPick === 'object') body.duration = first.durations[r.durationPick.index % first.durations.length];
        else if (r.durationPick !== undefined) body.duration = r.durationPick;
        if (r.resolutionPick !== undefined) body.resolution = first.resolutions[r.resolutionPick % first.resolutions.length];
        if (r.withAudio !== undefined) body.withAudio = r.withAudio;
        if (r.image) body.imageUrl = 'https://example.com/cat.png';
        const names = Object.keys(first.options ?? {});
        for (const pick of r.optionPicks) {
          const name = names[pick % Math.max(names.length, 1)];
          if (!name) continue;
          const def = first.options[name];
          body.options ??= {};
          body.options[name] = def.type === 'boolean' ? pick % 2 === 0 : def.type === 'integer' ? pick : def.type === 'media_url' ? 'https://example.com/end.png' : 'blur';
        }
        return body;
      });

    let billed = 0;
    const outcomes = { refused: 0, failed: 0, completed: 0 };
    const before = await settledBalance(p.baseUrl, key);
    await fc.assert(
      fc.asyncProperty(request, async (body) => {
        const since = logPositions();
        const created = await http('POST', `${p.baseUrl}/v1/video/generations`, { key, body });
        expect([200, 400]).toContain(created.status);
        if (created.status === 400) {
          // Refused at the door: nothing was asked of any provider.
          expect(acceptedSince(since)).toEqual([]);
          outcomes.refused++;
          return;
        }
        const g = await pollGeneration(p.baseUrl, key, created.body.id, 60_000);
        const made = acceptedSince(since);
        if (g.status === 'failed') {
          expect(made).toEqual([]); // only faults before acceptance are injected here
          outcomes.failed++;
          return;
        }
        expect(g.status).toBe('completed');
        expect(made).toHaveLength(1);
        const [r] = made;
        expect(LISTED_AS[r.sandbox]).toBe(g.provider === 'vercel-gateway' ? 'pipevideo' : g.provider);
        expect(g.duration).toBe(r.duration);
        expect(g.resolution).toBe(r.resolution);
        if (body.duration !== undefined) expect(r.duration).toBe(body.duration);
        expect(r.audio).toBe(body.withAudio === true);
        expect(g.cost_cents).toBe(priceOf(models, g.model, r));
        billed += g.cost_cents;
        outcomes.completed++;
      }),
      { numRuns: 40, seed: Number(process.env.PROPERTY_SEED ?? Date.now() % 1e9), endOnFailure: true },
    );
    // The runs exercised both doors: refusals and real, billed videos.
    expect(outcomes.completed).toBeGreaterThanOrEqual(8);
    expect(outcomes.refused).toBeGreaterThanOrEqual(1);
    // And the ledger took exactly that: no more, no less.
    expect((await settledBalance(p.baseUrl, key)).available_cents).toBe(before.available_cents - billed);
  });

  it('inexact durations, undefined fields and unsafe URLs are 400s naming the problem; nothing reaches a provider', async () => {
    if (skip) return;
    const since = logPositions();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ model: 'google/veo-3.1', prompt: 'x', duration: 4.01 }, /duration 4.01s is not made by this model \(allowed: 4, 6, 8 seconds\)/],
      [{ model: 'kling/3.0-pro', prompt: 'x', duration: 4.4 }, /allowed: 3, 4, 5/],
      [{ model: 'google/veo-3.1', prompt: 'x', generate_audio: true }, /^generate_audio is not a parameter of this API/],
      [{ model: 'google/veo-3.1', prompt: 'x', num_videos: 4 }, /^num_videos is not a parameter of this API/],
      [{ model: 'kling/3.0-pro', prompt: 'x', imageUrl: 'https://example.com/a.png', end_image_url: 'http://169.254.169.254/latest/meta-data' }, /^end_image_url is not a parameter/],
      [{ model: 'kling/3.0-pro', prompt: 'x', imageUrl: 'https://example.com/a.png', options: { end_image_url: 'http://169.254.169.254/latest/meta-data' } }, /options.end_image_url must use https/],
      [{ model: 'google/veo-3.1', prompt: 'x', options: { num_videos: 4 } }, /options.num_videos is not an option of google\/veo-3.1/],
    ];
    for (const [body, message] of cases) {
      const r = await http('POST', `${p.baseUrl}/v1/video/generations`, { key, body });
      expect({ body, status: r.status, message: r.body?.error?.message }).toEqual({ body, status: 400, message: expect.stringMatching(message) });
    }
    expect(acceptedSince(since)).toEqual([]);
  });

  it('a priced option is billed as declared: enable_prompt_expansion adds its 1-cent fee', async () => {
    if (skip) return;
    const run = async (options: Record<string, unknown>) => {
      const r = await http('POST', `${p.baseUrl}/v1/video/generations`, { key, body: { model: 'wan/2.5', prompt: 'x', options, provider: { order: ['fal'] } } });
      expect(r.status).toBe(200);
      return pollGeneration(p.baseUrl, key, r.body.id);
    };
    const plain = await run({ seed: 3 });
    const expanded = await run({ enable_prompt_expansion: true });
    expect(plain.provider).toBe('fal');
    expect(expanded.cost_cents).toBe(plain.cost_cents + 1);
    const body = p.sandboxes.fal.requests().filter((e) => e.operation === 'submit').at(-1)!.body as Record<string, unknown>;
    expect(body.enable_prompt_expansion).toBe(true);
  });

  it('an input rejection upstream moves to the next model (spec 004: context length), not to another route of the same model', async () => {
    if (skip) return;
    p.sandboxes.fal.setFault({ fault: 'bad_request', modelId: 'fal-ai/veo3.1' });
    const r = await http('POST', `${p.baseUrl}/v1/video/generations`, { key, body: { models: ['google/veo-3.1', 'kling/3.0-pro'], prompt: 'x', duration: 8, provider: { order: ['fal'] } } });
    const g = await pollGeneration(p.baseUrl, key, r.body.id);
    expect(g).toMatchObject({ status: 'completed', model: 'kling/3.0-pro', provider: 'fal', duration: 8 });
    expect(g.attempts.map((a: any) => [a.model, a.provider, a.outcome])).toEqual([
      ['google/veo-3.1', 'fal', 'failed'],
      ['kling/3.0-pro', 'fal', 'succeeded'],
    ]);
  });

  it('the hold is the balance check: of 150 concurrent creates against a balance that covers N, exactly N are accepted', async () => {
    if (skip) return;
    const N = 12;
    const hailuo = models.find((m) => m.id === 'minimax/hailuo-02');
    const cheapest = Math.min(...hailuo.endpoints.map((e: any) => Math.ceil(e.pricing[0].per_request_cents + e.pricing[0].per_second_cents * 6)));
    const org = await createFundedOrg(p.baseUrl, p.adminToken, N * cheapest, 'exactly N org');
    const since = logPositions();
    const answers = await Promise.all(
      Array.from({ length: 150 }, (_, i) => http('POST', `${p.baseUrl}/v1/video/generations`, { key: org.key, body: { model: 'minimax/hailuo-02', prompt: `burst ${i}`, duration: 6 } })),
    );
    const accepted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 400);
    expect(accepted).toHaveLength(N);
    expect(refused).toHaveLength(150 - N);
    for (const r of refused) expect(r.body.error.message).toMatch(/^Insufficient balance.*Add credits, then retry\.$/);
    // Every accepted one runs (its money was held before the answer), none fails for money.
    const done = await Promise.all(accepted.map((a) => pollGeneration(p.baseUrl, org.key, a.body.id, 90_000)));
    expect(done.map((g) => g.status)).toEqual(Array(N).fill('completed'));
    // Under concurrency too, each bill is the catalog price of exactly what its provider received (the
    // prompt says which submit is whose), and no refused create reached a provider.
    const made = acceptedSince(since);
    expect(made).toHaveLength(N);
    answers.forEach((a, i) => {
      if (a.status !== 200) return;
      const g = done.find((d) => d.id === a.body.id)!;
      const r = made.find((m) => m.input.prompt === `burst ${i}`)!;
      expect(r).toBeDefined();
      expect(g.cost_cents).toBe(priceOf(models, g.model, r));
      expect(g.duration).toBe(r.duration);
    });
    const listed = await http('GET', `${p.baseUrl}/v1/video/generations?limit=100`, { key: org.key });
    expect(listed.body.data).toHaveLength(N); // refused creates left nothing behind
    expect(await settledBalance(p.baseUrl, org.key)).toMatchObject({ available_cents: 0, held_cents: 0 });
    expect((await balanceOf(p.baseUrl, org.key)).balance_cents).toBe(0);
  });
});
