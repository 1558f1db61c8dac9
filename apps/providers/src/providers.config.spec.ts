import { configuredProviders, loadProvidersConfig } from './providers.config';

describe('providers configuration', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('env defaults: real base URLs, nothing configured without keys', () => {
    for (const k of ['FAL_KEY', 'REPLICATE_API_TOKEN', 'AI_GATEWAY_API_KEY', 'FRAMERATE_API_KEY', 'FAL_BASE_URL']) delete process.env[k];
    const c = loadProvidersConfig();
    expect(c.providers.fal).toMatchObject({ baseUrl: 'https://queue.fal.run', jwksUrl: 'https://rest.alpha.fal.ai/.well-known/jwks.json' });
    expect(c.providers.replicate.baseUrl).toBe('https://api.replicate.com/v1');
    expect(c.providers['vercel-gateway'].baseUrl).toBe('https://ai-gateway.vercel.sh/v3/ai');
    expect(c).toMatchObject({ httpTimeoutMs: 30_000, pollIntervalMs: 1000, signatureToleranceSeconds: 300, allowPrivateUrls: false });
    expect(configuredProviders()).toEqual([]);
  });

  it('a provider is configured when it has a key (env or options; options win)', () => {
    process.env.FAL_KEY = 'k1';
    process.env.FRAMERATE_API_KEY = 'k2';
    process.env.PIPEVIDEO_PROVIDERS_PUBLIC_URL = 'https://providers.example.com/';
    expect(configuredProviders()).toEqual(['fal', 'framerate']);
    expect(configuredProviders({ providers: { replicate: { apiKey: 'r' }, fal: { apiKey: '' } } })).toEqual(['replicate', 'framerate']);
    const c = loadProvidersConfig({ providers: { fal: { baseUrl: 'http://sandbox:1' } } });
    expect(c.providers.fal).toMatchObject({ baseUrl: 'http://sandbox:1', apiKey: 'k1' });
    expect(c.publicUrl).toBe('https://providers.example.com');
  });
});
