import { USER_SELECTABLE_VIDEO_PROVIDERS } from '@pipevideo/contracts';
import shippedCatalog from './catalog.json';
import shippedEngines from './engines.json';
import { CatalogValidationError, defaultCatalog, loadCatalog, parseEngineCatalog, parseVideoCatalog } from './catalog';

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

describe('shipped catalog', () => {
  const catalog = defaultCatalog();

  it('loads and validates', () => {
    expect(() => loadCatalog()).not.toThrow();
    expect(catalog.listModels().length).toBeGreaterThanOrEqual(6);
  });

  it.each(['google/veo-3.1', 'kling/3.0-pro', 'wan/2.5'])('has %s (spec 004 examples)', (slug) => {
    expect(catalog.getModel(slug)).toBeDefined();
  });

  it('serves the spec 004 fallback example (16:9, 5 s): Veo makes only 4, 6 or 8 s, the next models make 5 s', () => {
    for (const slug of ['google/veo-3.1', 'kling/3.0-pro', 'wan/2.5']) expect(catalog.getModel(slug)!.aspectRatios).toContain('16:9');
    expect(catalog.getModel('google/veo-3.1')!.durations).toEqual([4, 6, 8]);
    expect(catalog.getModel('kling/3.0-pro')!.durations).toContain(5);
    expect(catalog.getModel('wan/2.5')!.durations).toContain(5);
  });

  it('states the exact durations of every model and route; min/max are their ends', () => {
    for (const m of catalog.listModels()) {
      expect(m.durations.length).toBeGreaterThan(0);
      expect(m.minDuration).toBe(m.durations[0]);
      expect(m.maxDuration).toBe(m.durations[m.durations.length - 1]);
      expect(m.durations).toContain(m.defaultDuration);
      for (const r of m.routes) for (const d of r.durations) expect(m.durations).toContain(d);
    }
  });

  it('spreads routes over fal, replicate and vercel-gateway, with several multi-route models', () => {
    const providers = new Set(catalog.listRoutes().map((r) => r.provider));
    expect([...providers].sort()).toEqual(['fal', 'replicate', 'vercel-gateway']);
    expect(catalog.listModels().filter((m) => m.routes.length >= 2).length).toBeGreaterThanOrEqual(4);
    expect(catalog.listModels().filter((m) => m.routes.length === 3).length).toBeGreaterThanOrEqual(3);
  });

  it('marks vercel-gateway routes internal and never user-selectable; fal/replicate routes selectable', () => {
    for (const r of catalog.listRoutes()) {
      if (r.provider === 'vercel-gateway') {
        expect(r).toMatchObject({ userSelectable: false, internal: true });
      } else {
        expect((USER_SELECTABLE_VIDEO_PROVIDERS as string[]).includes(r.provider)).toBe(true);
        expect(r.userSelectable).toBe(true);
      }
    }
  });

  it('uses provider model ids in each provider\'s style', () => {
    expect(catalog.getRoute('google/veo-3.1@fal')!.providerModelId).toBe('fal-ai/veo3.1');
    expect(catalog.getRoute('google/veo-3.1@replicate')!.providerModelId).toBe('google/veo-3.1');
    expect(catalog.getRoute('google/veo-3.1@vercel-gateway')!.providerModelId).toBe('google/veo-3.1-generate-001');
    for (const r of catalog.listRoutes()) {
      if (r.provider === 'fal') expect(r.providerModelId).toMatch(/^fal-ai\//);
      else expect(r.providerModelId).toMatch(/^[a-z0-9-]+\/[a-z0-9.-]+$/);
    }
  });

  it('follows spec 004: vercel-gateway does not use imageUrl, so its routes have no image-to-video', () => {
    for (const r of catalog.listRoutes().filter((x) => x.provider === 'vercel-gateway')) {
      expect(r.capabilities.imageToVideo).toBe(false);
    }
  });

  it('computes effective route limits and default resolutions', () => {
    const kling = catalog.getRoute('kling/3.0-pro@vercel-gateway')!;
    expect(kling.maxDuration).toBe(10);
    expect(catalog.getModel('kling/3.0-pro')!.maxDuration).toBe(15);
    const hailuoFal = catalog.getRoute('minimax/hailuo-02@fal')!;
    expect(hailuoFal.resolutions).toEqual(['768p']);
    expect(hailuoFal.defaultResolution).toBe('768p');
    const rayReplicate = catalog.getRoute('luma/ray-2@replicate')!;
    expect(rayReplicate.defaultResolution).toBe('720p');
    // models without audio get a neutral multiplier
    expect(catalog.getRoute('luma/ray-2@fal')!.audioMultiplier).toBe(1);
  });

  it('route ids are <model>@<provider>', () => {
    for (const r of catalog.listRoutes()) expect(r.id).toBe(`${r.modelSlug}@${r.provider}`);
  });

  it('has the Responses engines with framerate as default provider and per-token rates', () => {
    expect(catalog.defaultEngine).toBe('hyperframes');
    for (const slug of ['hyperframes', 'lottie', 'auto']) {
      const e = catalog.getEngine(slug)!;
      expect(e).toBeDefined();
      expect(e.defaultProvider).toBe('framerate');
      expect(e.models).toContain('moonshotai/kimi-k2.5');
    }
    const kimi = catalog.getOrchestrationModel('moonshotai/kimi-k2.5')!;
    expect(kimi.pricing.inputPerMillionCents).toBe(kimi.pricing.inputPerMillionUsd * 100);
    expect(catalog.listOrchestrationModels().map((m) => m.id)).toEqual(
      expect.arrayContaining(['moonshotai/kimi-k2.5', 'anthropic/claude-sonnet-4.5', 'openai/gpt-5-mini', 'google/gemini-2.5-flash']),
    );
  });
});

describe('Catalog.resolveEngine (auto rule)', () => {
  const catalog = defaultCatalog();
  it.each([
    [undefined, 'A cat on a beach', 'hyperframes'],
    ['hyperframes', 'make a lottie', 'hyperframes'],
    ['lottie', 'anything', 'lottie'],
    ['auto', 'A cat walking on a beach at sunset', 'hyperframes'],
    ['auto', 'Animate this logo as a Lottie file', 'lottie'],
    ['auto', 'export as After  Effects animation', 'lottie'],
    ['auto', 'a bodymovin json', 'lottie'],
    ['auto', 'lotties are not a word we match', 'hyperframes'],
    ['auto', 'LOTTIE!', 'lottie'],
  ])('engine %p + %p → %p', (engine, prompt, expected) => {
    expect(catalog.resolveEngine(engine as string | undefined, prompt)).toBe(expected);
  });

  it('returns undefined for an unknown engine', () => {
    expect(catalog.resolveEngine('remotion', 'x')).toBeUndefined();
  });
});

describe('video catalog validator', () => {
  const base = () => clone(shippedCatalog) as any;
  const veo = (c: any) => c.models.find((m: any) => m.slug === 'google/veo-3.1');
  const fal = (c: any) => veo(c).routes.find((r: any) => r.provider === 'fal');

  const cases: [string, (c: any) => void, RegExp][] = [
    ['duplicate model slug', (c) => c.models.push(clone(veo(c))), /duplicate model slug "google\/veo-3.1"/],
    ['duplicate route id', (c) => { c.models[1].routes[0].id = 'google/veo-3.1@fal'; }, /duplicate route id "google\/veo-3.1@fal"/],
    ['route without pricing', (c) => { fal(c).pricing = []; }, /pricing must be a non-empty array/],
    ['route with pricing missing', (c) => { delete fal(c).pricing; }, /routes\[0\] \(google\/veo-3.1@fal\): pricing is required/],
    ['unknown provider', (c) => { fal(c).provider = 'runway'; }, /provider "runway" is not a video provider/],
    ['framerate as a video route', (c) => { fal(c).provider = 'framerate'; }, /provider "framerate" is not a video provider \(fal, replicate, vercel-gateway; framerate serves engines/],
    ['two routes on one provider', (c) => { veo(c).routes[1].provider = 'fal'; }, /second route on provider "fal"/],
    ['user-selectable vercel-gateway', (c) => { veo(c).routes[2].user_selectable = true; }, /internal: user_selectable must be false/],
    ['missing provider_model_id', (c) => { delete fal(c).provider_model_id; }, /provider_model_id is required/],
    ['priced resolution the model lacks', (c) => { fal(c).pricing.push({ resolution: '4k', per_request_cents: 0, per_second_cents: 50 }); }, /resolution "4k" is not offered by the model/],
    ['duplicate resolution price', (c) => { fal(c).pricing.push({ ...fal(c).pricing[0] }); }, /duplicate pricing for resolution "720p"/],
    ['negative price', (c) => { fal(c).pricing[0].per_second_cents = -1; }, /per_second_cents must be >= 0/],
    ['non-numeric price', (c) => { fal(c).pricing[0].per_request_cents = '10'; }, /per_request_cents must be a finite number/],
    ['model resolution priced by no route', (c) => { veo(c).resolutions.push('4k'); }, /resolution "4k" is not priced by any route/],
    ['default_duration not made by the model', (c) => { veo(c).default_duration = 10; }, /default_duration 10 is not in durations \[4, 6, 8\]/],
    ['default not in discrete durations', (c) => { c.models.find((m: any) => m.slug === 'wan/2.5').default_duration = 7; }, /default_duration 7 is not in durations/],
    ['max_duration != largest discrete duration', (c) => { c.models.find((m: any) => m.slug === 'wan/2.5').max_duration = 12; }, /must equal the largest of durations/],
    ['min_duration != smallest duration', (c) => { veo(c).min_duration = 3; }, /min_duration 3 must equal the smallest of durations/],
    ['durations missing (a continuous range)', (c) => { delete veo(c).durations; }, /durations is required/],
    ['bad slug', (c) => { veo(c).slug = 'Veo 3'; }, /slug must look like "vendor\/model"/],
    ['bad aspect ratio', (c) => { veo(c).aspect_ratios = ['wide']; }, /aspect_ratios\[0\] "wide" is not a valid aspect ratio/],
    ['default_resolution not offered', (c) => { veo(c).default_resolution = '4k'; }, /default_resolution "4k" is not in resolutions/],
    ['route enables a capability the model lacks', (c) => { c.models.find((m: any) => m.slug === 'luma/ray-2').routes[0].capabilities = { audio: true }; }, /capabilities.audio cannot be enabled/],
    ['route max_duration above the model', (c) => { fal(c).max_duration = 20; }, /max_duration 20 exceeds the model's 8/],
    ['route aspect ratio the model lacks', (c) => { fal(c).aspect_ratios = ['1:1']; }, /aspect_ratios 1:1 not offered by the model/],
    ['audio model route without audio_multiplier', (c) => { delete fal(c).audio_multiplier; }, /audio_multiplier is required/],
    ['audio_multiplier below 1', (c) => { fal(c).audio_multiplier = 0.5; }, /audio_multiplier must be >= 1/],
    ['model without routes', (c) => { veo(c).routes = []; }, /routes must be a non-empty array/],
    ['capabilities missing', (c) => { delete veo(c).capabilities; }, /capabilities is required/],
    ['option without a price effect', (c) => { delete veo(c).options.seed.price; }, /options.seed: price is required/],
    ['option of an unknown type', (c) => { veo(c).options.seed.type = 'json'; }, /options.seed: type must be one of/],
    ['option on a provider the model has no route on', (c) => { veo(c).options.seed.providers = ['runway']; }, /providers runway have no route on this model/],
    ['string option without max_length', (c) => { delete veo(c).options.negative_prompt.max_length; }, /a string option needs max_length/],
    ['a misspelt field (unknown fields are refused)', (c) => { fal(c).provider_modle_id = fal(c).provider_model_id; }, /routes\[0\] \(google\/veo-3.1@fal\): unknown field "provider_modle_id"/],
    ['a price of the wrong type', (c) => { fal(c).pricing[0].per_second_cents = '20'; }, /pricing\[0\]: per_second_cents must be a finite number/],
    ['advertised i2v with no route supporting it', (c) => { for (const r of veo(c).routes) r.capabilities = { image_to_video: false }; }, /image_to_video is advertised but no route supports it/],
  ];

  it.each(cases)('rejects: %s', (_name, mutate, expected) => {
    const c = base();
    mutate(c);
    let err: unknown;
    try { parseVideoCatalog(c); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(CatalogValidationError);
    expect((err as CatalogValidationError).message).toMatch(expected);
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['no models', { models: [] }],
  ])('rejects a root that is %s', (_n, raw) => {
    expect(() => parseVideoCatalog(raw)).toThrow(CatalogValidationError);
  });

  it('reports every problem at once, with the model and route in each line', () => {
    const c = base();
    fal(c).pricing = [];
    veo(c).routes[1].provider = 'runway';
    delete veo(c).options; // (its negative_prompt names replicate, which would be a third problem)
    const err = (() => { try { parseVideoCatalog(c); return undefined; } catch (e) { return e as CatalogValidationError; } })()!;
    expect(err.problems).toHaveLength(2);
    expect(err.problems[0]).toContain('(google/veo-3.1).routes[0] (google/veo-3.1@fal)');
    expect(err.message).toMatch(/^Invalid video catalog \(2 problems\)/);
  });

  it('loadCatalog fails the same way (service start)', () => {
    const c = base();
    fal(c).provider = 'nope';
    expect(() => loadCatalog(c)).toThrow(/provider "nope" is not a video provider/);
  });
});

describe('engine catalog validator', () => {
  const base = () => clone(shippedEngines) as any;
  const cases: [string, (c: any) => void, RegExp][] = [
    ['unknown engine slug', (c) => { c.engines[0].slug = 'remotion'; }, /slug "remotion" is not an engine/],
    ['duplicate engine', (c) => { c.engines.push(clone(c.engines[0])); }, /duplicate engine "hyperframes"/],
    ['unknown engine provider', (c) => { c.engines[0].providers = ['fal']; c.engines[0].default_provider = 'fal'; }, /unknown engine provider "fal"/],
    ['default provider not in providers', (c) => { c.engines[0].default_provider = 'other'; }, /default_provider "other" is not in providers/],
    ['model without rates', (c) => { c.engines[0].models.push('mistral/large'); }, /"mistral\/large" has no entry in orchestration_models/],
    ['cents not matching usd', (c) => { c.orchestration_models[0].pricing.input_per_million_cents = 61; }, /input_per_million_cents 61 does not match/],
    ['missing output rate', (c) => { delete c.orchestration_models[0].pricing.output_per_million_usd; }, /output_per_million_usd is required/],
    ['auto rule to an unknown engine', (c) => { c.engines[2].auto.rules[0].engine = 'remotion'; }, /engine "remotion" is not a concrete engine/],
    ['auto fallback to auto', (c) => { c.engines[2].auto.fallback = 'auto'; }, /auto.fallback "auto" is not a concrete engine/],
    ['auto without rules section', (c) => { delete c.engines[2].auto; }, /the auto engine needs an "auto" section/],
    ['default engine auto', (c) => { c.default_engine = 'auto'; }, /default_engine "auto" is not a concrete engine/],
  ];
  it.each(cases)('rejects: %s', (_name, mutate, expected) => {
    const c = base();
    mutate(c);
    expect(() => parseEngineCatalog(c)).toThrow(expected);
  });

  it('auto inherits the fallback engine providers and models', () => {
    const { engines } = parseEngineCatalog(base());
    const auto = engines.find((e) => e.slug === 'auto')!;
    expect(auto.defaultProvider).toBe('framerate');
    expect(auto.models).toEqual(engines.find((e) => e.slug === 'hyperframes')!.models);
    expect(auto.auto).toEqual({ rules: [{ engine: 'lottie', keywords: ['lottie', 'bodymovin', 'after effects', 'json animation'] }], fallback: 'hyperframes' });
  });
});
