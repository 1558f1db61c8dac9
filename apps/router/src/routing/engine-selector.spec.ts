import { DomainError } from '@pipevideo/contracts';
import { defaultCatalog } from '../catalog/catalog';
import { selectEngine } from './engine-selector';

describe('selectEngine (Responses API)', () => {
  const catalog = defaultCatalog();

  it.each([
    [{ model: 'moonshotai/kimi-k2.5', promptText: 'A cat walking on a beach' }, 'hyperframes', 'hyperframes'],
    [{ model: 'moonshotai/kimi-k2.5', engine: 'lottie', promptText: 'x' }, 'lottie', 'lottie'],
    [{ model: 'openai/gpt-5-mini', engine: 'auto', promptText: 'Animate this logo as a lottie' }, 'auto', 'lottie'],
    [{ model: 'openai/gpt-5-mini', engine: 'auto', promptText: 'A cat walking on a beach' }, 'auto', 'hyperframes'],
  ])('%p → %s resolves to %s on framerate', (r, requested, engine) => {
    const s = selectEngine(catalog, r);
    expect(s).toMatchObject({ requestedEngine: requested, engine, provider: 'framerate' });
    expect(s.model.id).toBe(r.model);
    expect(s.model.pricing.inputPerMillionCents).toBeGreaterThan(0);
  });

  it('accepts provider.order ["framerate"] (spec 002 example)', () => {
    expect(selectEngine(catalog, { model: 'moonshotai/kimi-k2.5', promptText: 'x', providerOrder: ['framerate'] }).provider).toBe('framerate');
  });

  it.each([
    [{ model: 'moonshotai/kimi-k2.5', engine: 'remotion', promptText: 'x' }, /Unknown engine 'remotion'. Engines: hyperframes, lottie, auto/],
    [{ model: 'hyperframes', promptText: 'x' }, /not an engine slug/],
    [{ model: '', promptText: 'x' }, /model is required/],
    [{ model: 'meta/llama-9', promptText: 'x' }, /Model not found: meta\/llama-9. See GET \/v1\/engines/],
    [{ model: 'moonshotai/kimi-k2.5', promptText: 'x', providerOrder: ['fal'] }, /Unknown provider 'fal' in provider.order. Allowed provider slugs for engine hyperframes: framerate/],
  ])('rejects %p', (r, msg) => {
    expect(() => selectEngine(catalog, r)).toThrow(DomainError);
    expect(() => selectEngine(catalog, r)).toThrow(msg);
  });

  it('400 "Provider not initialized" when the engine provider is not configured', () => {
    expect(() => selectEngine(catalog, { model: 'moonshotai/kimi-k2.5', promptText: 'x' }, { configuredProviders: new Set(['fal'] as const) }))
      .toThrow(/Provider not initialized/);
  });

  it('provider.only / ignore narrow the engine providers; the other preferences are checked', () => {
    const base = { model: 'moonshotai/kimi-k2.5', promptText: 'x' };
    expect(selectEngine(catalog, { ...base, providerPrefs: { only: ['framerate'], sort: 'latency', allow_fallbacks: false, require_parameters: true } }).provider).toBe('framerate');
    expect(() => selectEngine(catalog, { ...base, providerPrefs: { ignore: ['framerate'] } })).toThrow(/leave no provider for engine hyperframes/);
    expect(() => selectEngine(catalog, { ...base, providerPrefs: { only: ['fal'] } })).toThrow(/Unknown provider 'fal' in provider.only/);
    expect(() => selectEngine(catalog, { ...base, providerPrefs: { sort: 'cheap' } })).toThrow(/provider.sort must be one of/);
    expect(() => selectEngine(catalog, { ...base, providerPrefs: { allow_fallbacks: 'yes' } })).toThrow(/provider.allow_fallbacks must be true or false/);
  });
});

