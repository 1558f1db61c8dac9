/**
 * One source of truth per model and route: the router's catalog says what each route makes (exact
 * durations, audio, image-to-video, options) and prices exactly that; the providers' parameter tables
 * say what is sent upstream. This test holds the two equal, through the adapters' own `normalise`, so a
 * disagreement (a duration a provider would round, an option it would drop, audio it cannot switch
 * off) fails here instead of on a customer's bill.
 */
import { defaultCatalog, type CatalogRoute } from '@pipevideo/router';
import { PROVIDER_DEFINITIONS, type ProviderAdapter } from '@pipevideo/providers';

const deps = { httpTimeoutMs: 1000, signatureToleranceSeconds: 300, keyRefreshMinIntervalMs: 1000 };
const adapters = new Map<string, ProviderAdapter>(
  PROVIDER_DEFINITIONS.map((d) => [d.slug, d.create({ ...d.configFromEnv(), apiKey: 'k' }, deps)]),
);
const SAMPLE: Record<string, unknown> = { string: 'blur', integer: 7, number: 0.5, boolean: true, media_url: 'https://example.com/end.png' };

const catalog = defaultCatalog();
const cases = catalog.listModels().flatMap((m) =>
  m.routes.flatMap((r) => [
    ...(r.capabilities.textToVideo ? [{ model: m, route: r, providerModelId: r.providerModelId, image: false }] : []),
    ...(r.capabilities.imageToVideo ? [{ model: m, route: r, providerModelId: r.imageToVideoModelId ?? r.providerModelId, image: true }] : []),
  ]),
);

function normalise(route: CatalogRoute, providerModelId: string, params: Record<string, unknown>) {
  return adapters.get(route.provider)!.normalise({ prompt: 'a cat', aspectRatio: route.aspectRatios[0], resolution: route.defaultResolution, ...params }, { api: 'video', providerModelId });
}

describe('catalog ↔ provider parameter tables', () => {
  it('covers every route of the catalog', () => {
    expect(cases.length).toBeGreaterThanOrEqual(catalog.listRoutes().length);
  });

  describe.each(cases.map((c) => [`${c.route.id} (${c.providerModelId})`, c] as const))('%s', (_name, c) => {
    const image = c.image ? { imageUrl: 'https://example.com/start.png' } : {};

    it('sends exactly each catalog duration, and refuses every other value instead of rounding it', () => {
      for (const d of c.route.durations) {
        const out = normalise(c.route, c.providerModelId, { ...image, duration: d, withAudio: false });
        expect(parseFloat(String(out.duration))).toBe(d);
      }
      const probes = [...Array.from({ length: 20 }, (_, i) => i + 1), ...c.route.durations.map((d) => d + 0.5), 4.01, 6.01, 4.4];
      for (const d of probes.filter((x) => !c.route.durations.includes(x))) {
        expect(() => normalise(c.route, c.providerModelId, { ...image, duration: d })).toThrow(expect.objectContaining({ kind: 'bad_request' }));
      }
    });

    it('maps every option the catalog allows on this route (none is dropped unpriced)', () => {
      const base = normalise(c.route, c.providerModelId, { ...image, duration: c.route.durations[0] });
      for (const name of c.route.options) {
        const def = c.model.options.find((o) => o.name === name)!;
        if (def.requiresImage && !c.image) continue;
        const value = def.type === 'enum' ? def.values![0] : def.type === 'integer' ? (def.minimum ?? 0) + 1 : SAMPLE[def.type];
        const out = normalise(c.route, c.providerModelId, { ...image, duration: c.route.durations[0], options: { [name]: value } });
        expect(Object.keys(out).length).toBe(Object.keys(base).length + 1);
        expect(Object.values(out)).toContain(value);
      }
      expect(() => normalise(c.route, c.providerModelId, { ...image, duration: c.route.durations[0], options: { not_in_the_catalog: 1 } })).toThrow(expect.objectContaining({ kind: 'bad_request' }));
    });

    it('audio: switched on and off explicitly where the route makes audio (a provider default never adds unbilled audio)', () => {
      const on = normalise(c.route, c.providerModelId, { ...image, duration: c.route.durations[0], withAudio: true });
      const off = normalise(c.route, c.providerModelId, { ...image, duration: c.route.durations[0], withAudio: false });
      if (c.route.capabilities.audio) {
        expect(Object.values(on)).toContain(true);
        expect(Object.values(off)).toContain(false);
      } else expect(on).toEqual(off);
    });
  });
});
