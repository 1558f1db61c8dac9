import {
  FAILURE, GENERATION_ERROR_CODES, generationFailureMessage, publicGenerationErrorCode, publicProviderName, refererOrigin, sanitizeAppTitle,
} from './public-api';

describe('public names (docs/api-style.md)', () => {
  it('the internal route is pipevideo everywhere; other providers keep their slug', () => {
    expect(publicProviderName('vercel-gateway')).toBe('pipevideo');
    expect(['fal', 'replicate', 'framerate'].map((p) => publicProviderName(p))).toEqual(['fal', 'replicate', 'framerate']);
    expect(publicProviderName(null)).toBeNull();
  });

  it('maps stored failures (our codes and provider error kinds) onto the vocabulary, never outside it', () => {
    expect(publicGenerationErrorCode('moderation')).toBe('content_policy');
    expect(publicGenerationErrorCode('rate_limited', 'submission')).toBe('provider_rate_limited');
    expect(publicGenerationErrorCode('down', 'submission')).toBe('provider_unavailable');
    expect(publicGenerationErrorCode('down', 'reported')).toBe('provider_failure');
    expect(publicGenerationErrorCode('timeout')).toBe('provider_timeout');
    expect(publicGenerationErrorCode('all_routes_failed', 'submission')).toBe('provider_unavailable');
    for (const c of GENERATION_ERROR_CODES) expect(publicGenerationErrorCode(c)).toBe(c);
    for (const junk of [null, undefined, '', 'whatever', 'sk_live_123'])
      expect(GENERATION_ERROR_CODES).toContain(publicGenerationErrorCode(junk as string | null));
  });

  it('failure messages start with spec 004\'s causes and are our own sentences', () => {
    expect(generationFailureMessage('callback_timeout', 'reported')).toBe(FAILURE.callbackTimeout);
    expect(generationFailureMessage('generation_timeout', 'reported')).toBe(FAILURE.pollTimeout);
    expect(generationFailureMessage('reservation_failed', 'submission', 'Insufficient balance: 3 cents available')).toBe('Reservation failed: Insufficient balance: 3 cents available');
    expect(generationFailureMessage('provider_unavailable', 'submission')).toMatch(/^Provider submission failed: /);
    expect(generationFailureMessage('content_policy', 'reported')).toMatch(/^Provider returned failure: .*content policy/);
  });

  it('a referer is reduced to its origin: never a path, query, fragment or credentials', () => {
    expect(refererOrigin('https://u:p@App.Example:8443/x/y?session_token=abc#f')).toBe('https://app.example:8443');
    expect(refererOrigin('https://cats.example')).toBe('https://cats.example');
    expect(refererOrigin('android-app://com.example.app/path')).toBe('android-app://com.example.app');
    for (const bad of ['', 'cats.example', '/relative', 'javascript:alert(1)', 42, null]) expect(refererOrigin(bad)).toBeUndefined();
  });

  it('titles lose invisible and control characters, keep emoji whole, and are capped', () => {
    expect(sanitizeAppTitle('\u202eCat\u200bStudio\u0007\n  2')).toBe('CatStudio 2');
    expect(sanitizeAppTitle('  \u200b ')).toBeUndefined();
    const long = sanitizeAppTitle('🎬'.repeat(150))!;
    expect([...long]).toHaveLength(100);
    expect(long).toBe('🎬'.repeat(100));
  });
});
