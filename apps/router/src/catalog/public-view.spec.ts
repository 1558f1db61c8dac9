import { defaultCatalog } from './catalog';
import { PROVIDER_SLUGS } from '@pipevideo/contracts';
import { selectRoutes } from '../routing/route-selector';
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
    expect(Object.keys(veo.pricing!).sort()).toEqual(['audio_multiplier', 'duration', 'per_request_cents', 'per_second_cents', 'provider', 'request_cents', 'resolution']);
  });

  it('shows internal routes as provider "pipevideo", not user-selectable, and never names vercel-gateway', () => {
    const veo = getPublicModel(catalog, 'google/veo-3.1')!;
    expect(veo.endpoints.map((e) => e.provider).sort()).toEqual(['fal', 'pipevideo', 'replicate']);
    expect(veo.endpoints.find((e) => e.provider === 'pipevideo')!.user_selectable).toBe(false);
    expect(JSON.stringify(listPublicModels(catalog))).not.toContain('vercel-gateway');
    expect(JSON.stringify(listPublicModels(catalog))).not.toContain('generate-001');
  });

  it('headline pricing is what a default request costs (default duration and resolution, no audio), the per-resolution table beside it', () => {
    const wan = getPublicModel(catalog, 'wan/2.5')!;
    // Not the cheapest resolution (480p at 5 c/s on fal): a request without `resolution` runs at 720p.
    expect(wan.default_resolution).toBe('720p');
    expect(wan.pricing).toMatchObject({ resolution: '720p', duration: wan.default_duration, audio_multiplier: 1.5 });
    expect(wan.pricing!.request_cents).toBe(Math.ceil(wan.pricing!.per_request_cents + wan.pricing!.per_second_cents * wan.default_duration));
    expect(wan.pricing_by_resolution.map((p) => p.resolution)).toEqual(wan.resolutions);
    expect(wan.pricing_by_resolution.find((p) => p.resolution === '480p')).toMatchObject({ per_second_cents: 5, provider: 'fal' });
    expect(wan.pricing_by_resolution.find((p) => p.resolution === '720p')).toEqual(wan.pricing);
    expect(wan.endpoints.find((e) => e.provider === 'fal')!.pricing).toContainEqual({ resolution: '1080p', per_request_cents: 0, per_second_cents: 15 });
  });

  it('the headline price is exactly what the router holds for a default request, for every model', () => {
    const all = new Set(PROVIDER_SLUGS);
    for (const m of catalog.listModels()) {
      const pub = getPublicModel(catalog, m.slug)!;
      const request = { models: [m.slug], prompt: 'A cat', ...(m.capabilities.textToVideo ? {} : { imageUrl: 'https://example.com/cat.png' }) };
      const [first] = selectRoutes(catalog, request, { configuredProviders: all, isRouteOpen: () => false });
      expect({ model: m.slug, cents: pub.pricing!.request_cents, resolution: pub.pricing!.resolution }).toEqual({ model: m.slug, cents: first.estimatedCostCents, resolution: first.resolution });
      expect(pub.endpoints[0].provider).toBe(pub.pricing!.provider);
    }
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
