import { DomainError, ErrorCode, type ProviderSlug, type VideoRequest } from '@pipevideo/contracts';
import { defaultCatalog, loadCatalog } from '../catalog/catalog';
import { evaluateRoutes, normalizeProviderOrder, type RouteSelectionContext, selectRoutes } from './route-selector';

/**
 * Fixture catalog: prices chosen so every rule changes the outcome. Costs for the default request
 * (test/alpha, 5 s, 720p, no audio):
 *   fal        0 + 10   × 5 = 50     (720p, 1080p @ 20)   aspect 16:9 only, audio ×1.5, i2v endpoint
 *   replicate  5 + 8    × 5 = 45     (720p only)          no audio, max 8 s
 *   vercel     0 + 9.5  × 5 = 47.5→48 (720p, 1080p @ 19)  internal, no i2v, audio ×2
 */
const fixture = {
  models: [
    {
      slug: 'test/alpha', name: 'Alpha', description: 'fixture',
      default_duration: 5, min_duration: 1, max_duration: 10, durations: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      aspect_ratios: ['16:9', '9:16'], resolutions: ['720p', '1080p'], default_resolution: '720p',
      capabilities: { text_to_video: true, image_to_video: true, audio: true },
      routes: [
        {
          id: 'test/alpha@fal', provider: 'fal', provider_model_id: 'fal-ai/alpha', image_to_video_model_id: 'fal-ai/alpha/image-to-video',
          user_selectable: true, audio_multiplier: 1.5, aspect_ratios: ['16:9'],
          pricing: [
            { resolution: '720p', per_request_cents: 0, per_second_cents: 10 },
            { resolution: '1080p', per_request_cents: 0, per_second_cents: 20 },
          ],
        },
        {
          id: 'test/alpha@replicate', provider: 'replicate', provider_model_id: 'acme/alpha',
          user_selectable: true, audio_multiplier: 1.5, capabilities: { audio: false }, max_duration: 8,
          pricing: [{ resolution: '720p', per_request_cents: 5, per_second_cents: 8 }],
        },
        {
          id: 'test/alpha@vercel-gateway', provider: 'vercel-gateway', provider_model_id: 'acme/alpha-generate-001',
          user_selectable: false, audio_multiplier: 2, capabilities: { image_to_video: false },
          pricing: [
            { resolution: '720p', per_request_cents: 0, per_second_cents: 9.5 },
            { resolution: '1080p', per_request_cents: 0, per_second_cents: 19 },
          ],
        },
      ],
    },
    {
      slug: 'test/beta', name: 'Beta', description: 'fixture: discrete durations, text-to-video only, no audio',
      default_duration: 5, min_duration: 5, max_duration: 10, durations: [5, 10],
      aspect_ratios: ['16:9'], resolutions: ['768p'],
      capabilities: { text_to_video: true, image_to_video: false, audio: false },
      routes: [
        { id: 'test/beta@fal', provider: 'fal', provider_model_id: 'fal-ai/beta', user_selectable: true, pricing: [{ resolution: '768p', per_request_cents: 0, per_second_cents: 5 }] },
        { id: 'test/beta@vercel-gateway', provider: 'vercel-gateway', provider_model_id: 'acme/beta-001', user_selectable: false, pricing: [{ resolution: '768p', per_request_cents: 0, per_second_cents: 4 }] },
      ],
    },
    {
      slug: 'test/gamma', name: 'Gamma', description: 'fixture: replicate only',
      default_duration: 4, min_duration: 4, max_duration: 4, durations: [4],
      aspect_ratios: ['16:9', '1:1'], resolutions: ['720p'],
      capabilities: { text_to_video: true, image_to_video: true, audio: false },
      routes: [
        { id: 'test/gamma@replicate', provider: 'replicate', provider_model_id: 'acme/gamma', user_selectable: true, pricing: [{ resolution: '720p', per_request_cents: 20, per_second_cents: 2 }] },
      ],
    },
  ],
};

const catalog = loadCatalog(fixture);
const ALL: ProviderSlug[] = ['fal', 'replicate', 'vercel-gateway'];

interface Ctx { configured?: ProviderSlug[]; open?: string[]; allowInternalRoutes?: boolean }
const ctxOf = (c: Ctx = {}): RouteSelectionContext => ({
  configuredProviders: new Set(c.configured ?? ALL),
  isRouteOpen: (id) => (c.open ?? []).includes(id),
  ...(c.allowInternalRoutes !== undefined ? { allowInternalRoutes: c.allowInternalRoutes } : {}),
});
const req = (r: Partial<VideoRequest> = {}): VideoRequest => ({ models: ['test/alpha'], prompt: 'a cat', ...r });
const ids = (r: Partial<VideoRequest>, c?: Ctx) => selectRoutes(catalog, req(r), ctxOf(c)).map((x) => x.route.id);
const A = { fal: 'test/alpha@fal', rep: 'test/alpha@replicate', int: 'test/alpha@vercel-gateway' };
const B = { fal: 'test/beta@fal', int: 'test/beta@vercel-gateway' };

function errorOf(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DomainError);
    expect((e as DomainError).code).toBe(ErrorCode.BAD_REQUEST);
    return e as DomainError;
  }
  throw new Error('expected a BAD_REQUEST');
}

describe('selectRoutes — ordering and eligibility', () => {
  const cases: [string, Partial<VideoRequest>, Ctx | undefined, string[]][] = [
    // price ordering
    ['no preferences: lowest estimated price first (45, 48, 50)', {}, undefined, [A.rep, A.int, A.fal]],
    ['longer duration changes the prices, not the rule (9 s: replicate max 8 s excluded; 86 < 90)', { duration: 9 }, undefined, [A.int, A.fal]],
    // provider.order
    ['order [fal]: fal first, the rest by price', { provider: { order: ['fal'] } }, undefined, [A.fal, A.rep, A.int]],
    ['order [replicate, fal]: both in that order, then the rest', { provider: { order: ['replicate', 'fal'] } }, undefined, [A.rep, A.fal, A.int]],
    ['order [fal, replicate]: named order beats price', { provider: { order: ['fal', 'replicate'] } }, undefined, [A.fal, A.rep, A.int]],
    ['order is case-insensitive and de-duplicated', { provider: { order: ['FAL', ' fal '] } }, undefined, [A.fal, A.rep, A.int]],
    ['order naming an ineligible provider falls back to the others', { provider: { order: ['replicate'] } }, { open: [A.rep] }, [A.int, A.fal]],
    // resolution preference
    ['resolution 1080p: routes offering it first (95, 100), then the rest', { resolution: '1080p' }, undefined, [A.int, A.fal, A.rep]],
    ['resolution 720p: all offer it, plain price order', { resolution: '720p' }, undefined, [A.rep, A.int, A.fal]],
    ['resolution beats provider.order: order [replicate] + 1080p', { resolution: '1080p', provider: { order: ['replicate'] } }, undefined, [A.int, A.fal, A.rep]],
    ['order applies within the matching group: order [fal] + 1080p', { resolution: '1080p', provider: { order: ['fal'] } }, undefined, [A.fal, A.int, A.rep]],
    // max_price
    ['per_request cap 46: only replicate (45)', { provider: { max_price: { per_request_cents: 46 } } }, undefined, [A.rep]],
    ['per_request cap equal to the cost passes (48)', { provider: { max_price: { per_request_cents: 48 } } }, undefined, [A.rep, A.int]],
    ['per_second cap 9: only replicate (8 c/s)', { provider: { max_price: { per_second_cents: 9 } } }, undefined, [A.rep]],
    ['per_second cap 9.5 passes vercel (9.5 c/s)', { provider: { max_price: { per_second_cents: 9.5 } } }, undefined, [A.rep, A.int]],
    ['both caps combined', { provider: { max_price: { per_request_cents: 100, per_second_cents: 9.5 } } }, undefined, [A.rep, A.int]],
    ['caps apply to ordered routes too: order [fal] + per_request 48', { provider: { order: ['fal'], max_price: { per_request_cents: 48 } } }, undefined, [A.rep, A.int]],
    ['order + cap that keeps the ordered route', { provider: { order: ['fal'], max_price: { per_request_cents: 50 } } }, undefined, [A.fal, A.rep, A.int]],
    ['cap uses the resolution actually run (1080p fal = 100 > 96)', { resolution: '1080p', provider: { max_price: { per_request_cents: 96 } } }, undefined, [A.int, A.rep]],
    // image-to-video
    ['imageUrl: internal route without image-to-video excluded', { imageUrl: 'https://x/y.png' }, undefined, [A.rep, A.fal]],
    ['imageUrl + order [fal]', { imageUrl: 'https://x/y.png', provider: { order: ['fal'] } }, undefined, [A.fal, A.rep]],
    // audio
    ['withAudio: route without audio excluded, multiplier applied (75 < 95)', { withAudio: true }, undefined, [A.fal, A.int]],
    ['withAudio + per_second cap 15: multiplied rate 15 passes, 19 does not', { withAudio: true, provider: { max_price: { per_second_cents: 15 } } }, undefined, [A.fal]],
    ['withAudio + per_request cap 80: 75 passes, 95 does not', { withAudio: true, provider: { max_price: { per_request_cents: 80 } } }, undefined, [A.fal]],
    ['withAudio false behaves like absent', { withAudio: false }, undefined, [A.rep, A.int, A.fal]],
    // duration / aspect ratio
    ['duration within model max but above a route max (9 > 8)', { duration: 9 }, undefined, [A.int, A.fal]],
    ['duration equal to the max is allowed', { duration: 10 }, undefined, [A.int, A.fal]],
    ['aspect ratio only some routes support (9:16, fal is 16:9 only)', { aspectRatio: '9:16' }, undefined, [A.rep, A.int]],
    ['aspect ratio all support', { aspectRatio: '16:9' }, undefined, [A.rep, A.int, A.fal]],
    // internal routes
    ['internal route used automatically', {}, undefined, [A.rep, A.int, A.fal]],
    ['internal routes can be disabled by the caller', {}, { allowInternalRoutes: false }, [A.rep, A.fal]],
    ['internal route excluded when its provider is not configured', {}, { configured: ['fal', 'replicate'] }, [A.rep, A.fal]],
    // configuration / breakers
    ['unconfigured provider excluded', {}, { configured: ['fal', 'vercel-gateway'] }, [A.int, A.fal]],
    ['open breaker skipped', {}, { open: [A.rep] }, [A.int, A.fal]],
    ['open breaker on an ordered route skipped', { provider: { order: ['fal'] } }, { open: [A.fal] }, [A.rep, A.int]],
    // multiple models
    ['models in order: all of alpha, then beta (by price: 20 < 25)', { models: ['test/alpha', 'test/beta'] }, undefined, [A.rep, A.int, A.fal, B.int, B.fal]],
    ['models in order: beta first when listed first', { models: ['test/beta', 'test/alpha'] }, undefined, [B.int, B.fal, A.rep, A.int, A.fal]],
    ['provider.order applies within each model', { models: ['test/alpha', 'test/beta'], provider: { order: ['fal'] } }, undefined, [A.fal, A.rep, A.int, B.fal, B.int]],
    ['model without eligible route skipped (alpha breakers open)', { models: ['test/alpha', 'test/beta'] }, { open: [A.fal, A.rep, A.int] }, [B.int, B.fal]],
    ['earlier model kept, later one skipped (beta lacks image-to-video)', { models: ['test/alpha', 'test/beta'], imageUrl: 'https://x/y.png' }, undefined, [A.rep, A.fal]],
    ['later model used when the first fails a cap', { models: ['test/alpha', 'test/beta'], provider: { max_price: { per_request_cents: 30 } } }, undefined, [B.int, B.fal]],
    ['discrete durations: 7 s skips beta, keeps alpha', { models: ['test/beta', 'test/alpha'], duration: 7 }, undefined, [A.rep, A.int, A.fal]],
    ['discrete durations: 10 s allowed on beta', { models: ['test/beta'], duration: 10 }, undefined, [B.int, B.fal]],
    ['duplicate models are tried once', { models: ['test/beta', 'test/beta'] }, undefined, [B.int, B.fal]],
  ];

  it.each(cases)('%s', (_name, request, ctx, expected) => {
    expect(ids(request, ctx)).toEqual(expected);
  });
});

describe('selectRoutes — candidate fields', () => {
  it('carries resolution, duration (model default), cost and per-second rate', () => {
    const [first] = selectRoutes(catalog, req(), ctxOf());
    expect(first).toMatchObject({
      modelSlug: 'test/alpha', resolution: '720p', resolutionMatched: true, durationSeconds: 5,
      withAudio: false, estimatedCostCents: 45, perSecondCents: 8, providerModelId: 'acme/alpha',
    });
    expect(first.route.id).toBe(A.rep);
  });

  it('a route lacking the requested resolution runs at its default and is marked unmatched', () => {
    const c = selectRoutes(catalog, req({ resolution: '1080p' }), ctxOf());
    expect(c.map((x) => [x.route.id, x.resolution, x.resolutionMatched, x.estimatedCostCents])).toEqual([
      [A.int, '1080p', true, 95],
      [A.fal, '1080p', true, 100],
      [A.rep, '720p', false, 45],
    ]);
  });

  it('audio: multiplier in cost and per-second rate', () => {
    const c = selectRoutes(catalog, req({ withAudio: true }), ctxOf());
    expect(c.map((x) => [x.route.id, x.estimatedCostCents, x.perSecondCents, x.withAudio])).toEqual([
      [A.fal, 75, 15, true],
      [A.int, 95, 19, true],
    ]);
  });

  it('image-to-video uses the route\'s image-to-video model id when it has one', () => {
    const c = selectRoutes(catalog, req({ imageUrl: 'https://x/y.png' }), ctxOf());
    expect(c.map((x) => [x.route.id, x.providerModelId])).toEqual([
      [A.rep, 'acme/alpha'],
      [A.fal, 'fal-ai/alpha/image-to-video'],
    ]);
  });

  it('internal routes stay internal: userSelectable false on the candidate', () => {
    const c = selectRoutes(catalog, req(), ctxOf()).find((x) => x.route.id === A.int)!;
    expect(c.route.userSelectable).toBe(false);
    expect(c.route.provider).toBe('vercel-gateway');
  });
});

describe('selectRoutes — errors', () => {
  const cases: [string, Partial<VideoRequest>, Ctx | undefined, (string | RegExp)[]][] = [
    ['unknown model', { models: ['test/nope'] }, undefined, ['Model not found: test/nope. See GET /v1/models']],
    ['unknown model among known ones', { models: ['test/alpha', 'test/nope'] }, undefined, ['Model not found: test/nope']],
    ['empty models', { models: [] }, undefined, ['models must be a non-empty array']],
    ['unknown provider in order', { provider: { order: ['runway'] } }, undefined, ["Unknown provider 'runway' in provider.order", 'Allowed provider slugs: fal, replicate']],
    ['vercel-gateway in order', { provider: { order: ['vercel-gateway'] } }, undefined, ["'vercel-gateway' is used internally and is not user-selectable", 'fal, replicate']],
    ['vercel-gateway after a valid slug', { provider: { order: ['fal', 'vercel-gateway'] } }, undefined, ['not user-selectable']],
    ['framerate in order', { provider: { order: ['framerate'] } }, undefined, ['Responses API', 'fal, replicate']],
    ['order not an array', { provider: { order: 'fal' as unknown as string[] } }, undefined, ['provider.order must be an array']],
    ['all breakers open', {}, { open: [A.fal, A.rep, A.int] }, [
      'No eligible route for test/alpha: fal: circuit breaker open; replicate: circuit breaker open; pipevideo: circuit breaker open',
    ]],
    ['per-request cap too low for all', { provider: { max_price: { per_request_cents: 44 } } }, undefined, [
      'fal: exceeds max_price.per_request_cents (50 > 44)', 'replicate: exceeds max_price.per_request_cents (45 > 44)', 'pipevideo: exceeds max_price.per_request_cents (48 > 44)',
    ]],
    ['per-second cap too low for all', { provider: { max_price: { per_second_cents: 5 } } }, undefined, [
      'fal: exceeds max_price.per_second_cents (10 > 5)', 'replicate: exceeds max_price.per_second_cents (8 > 5)', 'pipevideo: exceeds max_price.per_second_cents (9.5 > 5)',
    ]],
    ['mixed reasons per route', { withAudio: true, provider: { max_price: { per_request_cents: 70 } } }, { open: [A.int] }, [
      'fal: exceeds max_price.per_request_cents (75 > 70)', 'replicate: no audio on this route', 'pipevideo: circuit breaker open',
    ]],
    ['duration above the model max', { duration: 12 }, undefined, ['No eligible route for test/alpha: duration 12s is not made by this model (allowed: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 seconds)']],
    ['duration not in the discrete set', { models: ['test/beta'], duration: 7 }, undefined, ['No eligible route for test/beta: duration 7s is not made by this model (allowed: 5, 10 seconds)']],
    ['non-positive duration', { duration: 0 }, undefined, ['duration 0 is not a positive number of seconds']],
    ['unsupported aspect ratio', { aspectRatio: '4:3' }, undefined, ['aspect ratio 4:3 not supported (supported: 16:9, 9:16)']],
    ['aspect ratio supported only by excluded routes', { aspectRatio: '9:16' }, { open: [A.rep, A.int] }, ['fal: aspect ratio 9:16 not supported on this route']],
    ['resolution the model does not offer at all', { resolution: '4k' }, undefined, ['resolution 4k not supported (supported: 720p, 1080p)']],
    ['image-to-video on a text-only model', { models: ['test/beta'], imageUrl: 'https://x/y.png' }, undefined, ['test/beta: does not support image-to-video (imageUrl)']],
    ['audio on a model without audio', { models: ['test/beta'], withAudio: true }, undefined, ['test/beta: does not support audio (withAudio)']],
    ['image-to-video where only internal routes remain', { imageUrl: 'https://x/y.png' }, { configured: ['vercel-gateway'] }, [
      'fal: provider not configured', 'pipevideo: no image-to-video on this route',
    ]],
    ['unconfigured provider', { models: ['test/gamma'] }, { configured: ['fal', 'vercel-gateway'] }, ['No eligible route for test/gamma: replicate: provider not configured']],
    ['every model fails: one sentence per model', { models: ['test/alpha', 'test/beta'], withAudio: true, provider: { max_price: { per_request_cents: 10 } } }, undefined, [
      /^No eligible route for test\/alpha: fal: exceeds .*\. No eligible route for test\/beta: does not support audio \(withAudio\)$/,
    ]],
    ['duration above one model, cap on the other', { models: ['test/gamma', 'test/beta'], duration: 5, provider: { max_price: { per_request_cents: 1 } } }, undefined, [
      'No eligible route for test/gamma: duration 5s is not made by this model (allowed: 4 seconds)', 'No eligible route for test/beta: fal: exceeds',
    ]],
  ];

  it.each(cases)('%s', (_name, request, ctx, expected) => {
    const err = errorOf(() => selectRoutes(catalog, req(request), ctxOf(ctx)));
    for (const e of expected) {
      if (typeof e === 'string') expect(err.message).toContain(e);
      else expect(err.message).toMatch(e);
    }
  });

  it('attaches structured rejections as details', () => {
    const err = errorOf(() => selectRoutes(catalog, req(), ctxOf({ open: [A.fal, A.rep, A.int] })));
    expect(err.details).toEqual({
      rejections: [{
        model: 'test/alpha', reasons: [], routes: [
          { routeId: A.fal, provider: 'fal', reasons: ['circuit breaker open'] },
          { routeId: A.rep, provider: 'replicate', reasons: ['circuit breaker open'] },
          { routeId: A.int, provider: 'pipevideo', reasons: ['circuit breaker open'] },
        ],
      }],
    });
  });

  it('evaluateRoutes reports rejected routes even when others are eligible', () => {
    const { candidates, rejections } = evaluateRoutes(catalog, req({ withAudio: true }), ctxOf());
    expect(candidates).toHaveLength(2);
    expect(rejections).toEqual([{ model: 'test/alpha', reasons: [], routes: [{ routeId: A.rep, provider: 'replicate', reasons: ['no audio on this route'] }] }]);
  });

  it('normalizeProviderOrder', () => {
    expect(normalizeProviderOrder(undefined)).toEqual([]);
    expect(normalizeProviderOrder(['Replicate', 'fal', 'replicate'])).toEqual(['replicate', 'fal']);
    expect(() => normalizeProviderOrder([42])).toThrow(/only strings/);
  });
});

describe('selectRoutes — shipped catalog smoke test', () => {
  const real = defaultCatalog();
  const ctx = ctxOf();

  it('spec 004 example: google/veo-3.1, 16:9, 6 s → candidates on every provider, cheapest first', () => {
    const c = selectRoutes(real, { models: ['google/veo-3.1'], prompt: 'A cat walking on a beach at sunset', aspectRatio: '16:9', duration: 6 }, ctx);
    expect(c.map((x) => x.route.provider).sort()).toEqual(['fal', 'replicate', 'vercel-gateway']);
    for (let i = 1; i < c.length; i++) expect(c[i].estimatedCostCents).toBeGreaterThanOrEqual(c[i - 1].estimatedCostCents);
  });

  it.each([5, 4.01, 6.01, 4.4])('veo-3.1 makes only 4, 6 or 8 s: %s s is a 400 naming them (never rounded and billed apart)', (duration) => {
    const err = errorOf(() => selectRoutes(real, { models: ['google/veo-3.1'], prompt: 'x', duration }, ctx));
    expect(err.code).toBe(ErrorCode.BAD_REQUEST);
    expect(err.message).toContain(`duration ${duration}s is not made by this model (allowed: 4, 6, 8 seconds)`);
  });

  it('spec 004 example: order [fal, replicate] + max_price 500 puts fal then replicate first', () => {
    const c = selectRoutes(real, {
      models: ['google/veo-3.1'], prompt: 'x', provider: { order: ['fal', 'replicate'], max_price: { per_request_cents: 500 } },
    }, ctx);
    expect(c.slice(0, 2).map((x) => x.route.provider)).toEqual(['fal', 'replicate']);
    for (const x of c) expect(x.estimatedCostCents).toBeLessThanOrEqual(500);
  });

  it('spec 004 fallback example (5 s): Veo cannot make 5 s, so kling/3.0-pro then wan/2.5', () => {
    const c = selectRoutes(real, { models: ['google/veo-3.1', 'kling/3.0-pro', 'wan/2.5'], prompt: 'x', aspectRatio: '16:9', duration: 5 }, ctx);
    expect([...new Set(c.map((x) => x.modelSlug))]).toEqual(['kling/3.0-pro', 'wan/2.5']);
  });

  it('spec 004 fallback example at 8 s: veo-3.1, kling/3.0-pro in that model order', () => {
    const c = selectRoutes(real, { models: ['google/veo-3.1', 'kling/3.0-pro', 'wan/2.5'], prompt: 'x', aspectRatio: '16:9', duration: 8 }, ctx);
    const models = c.map((x) => x.modelSlug);
    expect([...new Set(models)]).toEqual(['google/veo-3.1', 'kling/3.0-pro']);
    expect(models.lastIndexOf('google/veo-3.1')).toBeLessThan(models.indexOf('kling/3.0-pro'));
  });

  describe('model options (the only pass-through, each priced)', () => {
    it('an option no requested model takes is a 400 naming it', () => {
      const err = errorOf(() => selectRoutes(real, { models: ['google/veo-3.1'], prompt: 'x', options: { num_videos: 4 } }, ctx));
      expect(err.code).toBe(ErrorCode.BAD_REQUEST);
      expect(err.message).toContain('options.num_videos is not an option of google/veo-3.1');
      expect(err.message).toContain('negative_prompt, seed');
    });

    it('a priced option adds its declared fee to every route of the model', () => {
      const plain = selectRoutes(real, { models: ['wan/2.5'], prompt: 'x' }, ctx);
      const expanded = selectRoutes(real, { models: ['wan/2.5'], prompt: 'x', options: { enable_prompt_expansion: true } }, ctx);
      const off = selectRoutes(real, { models: ['wan/2.5'], prompt: 'x', options: { enable_prompt_expansion: false } }, ctx);
      expect(expanded.map((c) => c.route.provider).sort()).toEqual(['fal', 'replicate']); // the gateway route does not take it
      for (const c of expanded) expect(c.estimatedCostCents).toBe(plain.find((p) => p.route.id === c.route.id)!.estimatedCostCents + 1);
      expect(off.find((c) => c.route.provider === 'fal')!.estimatedCostCents).toBe(plain.find((c) => c.route.provider === 'fal')!.estimatedCostCents);
    });

    it('an option only some routes take narrows the routes; values are checked against the catalog', () => {
      const c = selectRoutes(real, { models: ['google/veo-3.1'], prompt: 'x', options: { negative_prompt: 'blur' } }, ctx);
      expect(c.map((x) => x.route.provider).sort()).toEqual(['fal', 'replicate']);
      expect(errorOf(() => selectRoutes(real, { models: ['google/veo-3.1'], prompt: 'x', options: { seed: -1 } }, ctx)).message).toContain('options.seed must be between 0 and 4294967295');
      expect(errorOf(() => selectRoutes(real, { models: ['kling/3.0-pro'], prompt: 'x', options: { end_image_url: 'https://example.com/e.png' } }, ctx)).message).toContain('options.end_image_url needs imageUrl');
    });

    it('with models[], a model that does not take the option is skipped for one that does', () => {
      const c = selectRoutes(real, { models: ['minimax/hailuo-02', 'luma/ray-2'], prompt: 'x', options: { loop: true } }, ctx);
      expect([...new Set(c.map((x) => x.modelSlug))]).toEqual(['luma/ray-2']);
    });
  });

  it('quickstart: model only, defaults apply and cost is positive', () => {
    const [first] = selectRoutes(real, { models: ['google/veo-3.1'], prompt: 'x' }, ctx);
    expect(first.durationSeconds).toBe(real.getModel('google/veo-3.1')!.defaultDuration);
    expect(first.estimatedCostCents).toBeGreaterThan(0);
  });

  it('every model of the shipped catalog is selectable with default parameters', () => {
    for (const m of real.listModels()) {
      expect(selectRoutes(real, { models: [m.slug], prompt: 'x' }, ctx).length).toBe(m.routes.length);
    }
  });
});

describe('provider preferences (only, ignore, allow_fallbacks, require_parameters, sort) and measured health', () => {
  const summary = (successes: number, failures: number, p50Ms: number | null) => ({
    samples: successes + failures, successes, failures, successRate: successes + failures ? successes / (successes + failures) : null,
    p50Ms, p90Ms: p50Ms, recentFailures: [],
  });
  const measured: Record<string, ReturnType<typeof summary>> = {
    [A.fal]: summary(10, 0, 30_000), // fast and reliable, 50
    [A.rep]: summary(4, 6, 90_000), // slow and flaky, cheapest (45)
    [A.int]: summary(9, 1, 60_000), // 48
  };
  const healthCtx = (unhealthy: string[] = []): RouteSelectionContext => ({
    ...ctxOf(),
    health: (id) => measured[id] ?? summary(0, 0, null),
    isUnhealthy: (id) => unhealthy.includes(id),
  });
  const order = (r: Partial<VideoRequest>, c = healthCtx()) => selectRoutes(catalog, req(r), c).map((x) => x.route.id);

  it('sort: price (default) is cheapest first; latency is fastest measured first; success is most reliable first; ties by price', () => {
    expect(order({})).toEqual([A.rep, A.int, A.fal]);
    expect(order({ provider: { sort: 'price' } })).toEqual([A.rep, A.int, A.fal]);
    expect(order({ provider: { sort: 'latency' } })).toEqual([A.fal, A.int, A.rep]);
    expect(order({ provider: { sort: 'success' } })).toEqual([A.fal, A.int, A.rep]);
    // Nothing measured: every route ties and price decides.
    expect(order({ provider: { sort: 'latency' } }, { ...ctxOf(), health: () => summary(0, 0, null) })).toEqual([A.rep, A.int, A.fal]);
    expect(order({ provider: { sort: 'success' } }, { ...ctxOf(), health: () => summary(0, 0, null) })).toEqual([A.rep, A.int, A.fal]);
  });

  it('default routing tries unhealthy routes after healthy ones (provider.order still wins)', () => {
    expect(order({}, healthCtx([A.rep]))).toEqual([A.int, A.fal, A.rep]);
    expect(order({ provider: { order: ['replicate'] } }, healthCtx([A.rep]))).toEqual([A.rep, A.int, A.fal]);
  });

  it('only and ignore filter providers; only leaves internal routes out', () => {
    expect(ids({ provider: { only: ['fal'] } })).toEqual([A.fal]);
    expect(ids({ provider: { ignore: ['replicate'] } })).toEqual([A.int, A.fal]);
    const e = evaluateRoutes(catalog, req({ provider: { only: ['replicate'] } }), ctxOf());
    expect(e.rejections[0].routes.map((r) => [r.provider, r.reasons])).toEqual([
      ['fal', ['not in provider.only']],
      ['pipevideo', ['not in provider.only']],
    ]);
    expect(errorOf(() => ids({ models: ['test/gamma'], provider: { ignore: ['replicate'] } })).message).toMatch(/replicate: in provider.ignore/);
  });

  it('allow_fallbacks: false keeps the first route of each model, models[] fallbacks stay', () => {
    expect(ids({ provider: { allow_fallbacks: false } })).toEqual([A.rep]);
    expect(ids({ models: ['test/alpha', 'test/gamma'], provider: { allow_fallbacks: false } })).toEqual([A.rep, 'test/gamma@replicate']);
  });

  it('require_parameters: a route without the requested resolution is excluded instead of running at its default', () => {
    expect(ids({ resolution: '1080p' })).toEqual([A.int, A.fal, A.rep]);
    expect(ids({ resolution: '1080p', provider: { require_parameters: true } })).toEqual([A.int, A.fal]);
    const e = evaluateRoutes(catalog, req({ resolution: '1080p', provider: { require_parameters: true } }), ctxOf());
    expect(e.rejections[0].routes[0].reasons).toEqual(['resolution 1080p not offered on this route (provider.require_parameters)']);
  });

  it('refuses malformed preferences with a 400 naming the field', () => {
    const bad = (provider: Record<string, unknown>) => errorOf(() => ids({ provider: provider as VideoRequest['provider'] }));
    expect(bad({ only: ['vercel-gateway'] })).toMatchObject({ code: ErrorCode.BAD_REQUEST, message: expect.stringMatching(/used internally.*Allowed provider slugs: fal, replicate/) });
    expect(bad({ only: [] }).message).toMatch(/provider.only must name at least one provider/);
    expect(bad({ ignore: ['runway'] }).message).toMatch(/Unknown provider 'runway' in provider.ignore/);
    expect(bad({ only: ['fal'], ignore: ['FAL'] }).message).toMatch(/provider.only and provider.ignore both name fal/);
    expect(bad({ sort: 'throughput' }).message).toMatch(/provider.sort must be one of price, latency, success/);
    expect(bad({ allow_fallbacks: 'no' }).message).toMatch(/provider.allow_fallbacks must be true or false/);
    expect(bad({ require_parameters: 1 }).message).toMatch(/provider.require_parameters must be true or false/);
  });
});
