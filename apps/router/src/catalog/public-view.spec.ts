import { defaultCatalog } from './catalog';
import { getPublicModel, listPublicEngines, listPublicModels } from './public-view';

describe('GET /v1/models view', () => {
  const catalog = defaultCatalog();

  it('lists every model with OpenRouter-like fields', () => {
    const models = listPublicModels(catalog);
    expect(models.map((m) => m.id)).toEqual(catalog.listModels().map((m) => m.slug));
    const veo = models.find((m) => m.id === 'google/veo-3.1')!;
    expect(veo).toMatchObject({
      object: 'model',
      name: 'Google Veo 3.1',
      capabilities: { text_to_video: true, image_to_video: true, audio: true },
      default_duration: 8,
      max_duration: 8,
      aspect_ratios: ['16:9', '9:16'],
      resolutions: ['720p', '1080p'],
      default_resolution: '720p',
    });
    expect(Object.keys(veo.pricing!).sort()).toEqual(['audio_multiplier', 'per_request_cents', 'per_second_cents', 'resolution']);
  });

  it('shows internal routes as provider "pipevideo", not user-selectable, and never names vercel-gateway', () => {
    const veo = getPublicModel(catalog, 'google/veo-3.1')!;
    expect(veo.endpoints.map((e) => e.provider).sort()).toEqual(['fal', 'pipevideo', 'replicate']);
    expect(veo.endpoints.find((e) => e.provider === 'pipevideo')!.user_selectable).toBe(false);
    expect(JSON.stringify(listPublicModels(catalog))).not.toContain('vercel-gateway');
    expect(JSON.stringify(listPublicModels(catalog))).not.toContain('generate-001');
  });

  it('top-level pricing is the cheapest endpoint; endpoints are sorted cheapest first', () => {
    const wan = getPublicModel(catalog, 'wan/2.5')!;
    // cheapest: 480p on fal (5 c/s) beats replicate (6 c/s)
    expect(wan.pricing).toEqual({ per_request_cents: 0, per_second_cents: 5, audio_multiplier: 1.5, resolution: '480p' });
    expect(wan.endpoints[0].provider).toBe('fal');
    expect(wan.endpoints[0].pricing).toContainEqual({ resolution: '1080p', per_request_cents: 0, per_second_cents: 15 });
  });

  it('shows per-endpoint restrictions', () => {
    const kling = getPublicModel(catalog, 'kling/3.0-pro')!;
    const internal = kling.endpoints.find((e) => e.provider === 'pipevideo')!;
    expect(internal.capabilities.image_to_video).toBe(false);
    expect(internal.max_duration).toBe(10);
    expect(kling.max_duration).toBe(15);
  });

  it('with configuredProviders, lists only configured routes and drops unservable models', () => {
    const only = listPublicModels(catalog, { configuredProviders: new Set(['vercel-gateway'] as const) });
    expect(only.map((m) => m.id)).not.toContain('luma/ray-2'); // luma has no vercel route
    for (const m of only) expect(m.endpoints.every((e) => e.provider === 'pipevideo')).toBe(true);
    const none = getPublicModel(catalog, 'luma/ray-2', { configuredProviders: new Set(['vercel-gateway'] as const) })!;
    expect(none.pricing).toBeNull();
  });

  it('returns undefined for an unknown model', () => {
    expect(getPublicModel(catalog, 'nope/nope')).toBeUndefined();
  });
});

describe('GET /v1/engines view', () => {
  it('lists engines with provider, models and per-million rates in USD and cents', () => {
    const engines = listPublicEngines(defaultCatalog());
    expect(engines.map((e) => e.id)).toEqual(['hyperframes', 'lottie', 'auto']);
    const hf = engines[0];
    expect(hf).toMatchObject({ default: true, default_provider: 'framerate', providers: ['framerate'] });
    expect(hf.models.find((m) => m.id === 'moonshotai/kimi-k2.5')!.pricing).toEqual({
      input_per_million_usd: 0.6, output_per_million_usd: 3, input_per_million_cents: 60, output_per_million_cents: 300,
    });
    expect(engines[1].artifact_media_type).toBe('application/json');
    expect(engines[2].selection).toEqual({ rules: [{ engine: 'lottie', keywords: expect.arrayContaining(['lottie']) }], fallback: 'hyperframes' });
  });
});
