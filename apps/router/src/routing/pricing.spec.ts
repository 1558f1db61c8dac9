import { estimateCostCents, perSecondRateCents, priceAt, resolveDuration, roundUpCents, tokenCost } from './pricing';

describe('estimateCostCents', () => {
  const cases: [string, { perRequestCents: number; perSecondCents: number; audioMultiplier: number }, number, boolean, number][] = [
    ['per-second only', { perRequestCents: 0, perSecondCents: 20, audioMultiplier: 1.5 }, 8, false, 160],
    ['per-request + per-second', { perRequestCents: 5, perSecondCents: 8, audioMultiplier: 1.5 }, 5, false, 45],
    ['per-request only', { perRequestCents: 30, perSecondCents: 0, audioMultiplier: 1.5 }, 10, false, 30],
    ['audio multiplies the per-second part', { perRequestCents: 0, perSecondCents: 20, audioMultiplier: 1.5 }, 8, true, 240],
    ['audio does not multiply the per-request fee', { perRequestCents: 10, perSecondCents: 10, audioMultiplier: 2 }, 5, true, 110],
    ['multiplier ignored without audio', { perRequestCents: 0, perSecondCents: 10, audioMultiplier: 2 }, 5, false, 50],
    ['rounded up to whole cents', { perRequestCents: 0, perSecondCents: 9.5, audioMultiplier: 1 }, 5, false, 48],
    ['rounded up, audio', { perRequestCents: 0, perSecondCents: 4.5, audioMultiplier: 1.5 }, 5, true, 34],
    ['float noise is not rounded up (11.2 × 5)', { perRequestCents: 0, perSecondCents: 11.2, audioMultiplier: 1 }, 5, false, 56],
    ['float noise with audio (11.2 × 1.5 × 5 = 84)', { perRequestCents: 0, perSecondCents: 11.2, audioMultiplier: 1.5 }, 5, true, 84],
    ['fractional duration', { perRequestCents: 0, perSecondCents: 10, audioMultiplier: 1 }, 2.5, false, 25],
    ['just above a cent rounds up', { perRequestCents: 0.01, perSecondCents: 10, audioMultiplier: 1 }, 5, false, 51],
  ];
  it.each(cases)('%s', (_n, price, duration, withAudio, expected) => {
    expect(estimateCostCents(price, duration, withAudio)).toBe(expected);
  });
});

describe('perSecondRateCents (used for max_price.per_second_cents)', () => {
  it.each([
    [{ perRequestCents: 100, perSecondCents: 10, audioMultiplier: 1.5 }, false, 10],
    [{ perRequestCents: 100, perSecondCents: 10, audioMultiplier: 1.5 }, true, 15],
    [{ perRequestCents: 0, perSecondCents: 11.2, audioMultiplier: 1.5 }, true, 16.8],
    [{ perRequestCents: 0, perSecondCents: 9.5, audioMultiplier: 1 }, true, 9.5],
  ])('%p audio=%p → %p (per-request fee excluded, not rounded)', (price, withAudio, expected) => {
    expect(perSecondRateCents(price, withAudio)).toBe(expected);
  });
});

describe('helpers', () => {
  it('resolveDuration uses the model default when the request has none', () => {
    expect(resolveDuration({ defaultDuration: 8 }, undefined)).toBe(8);
    expect(resolveDuration({ defaultDuration: 8 }, null)).toBe(8);
    expect(resolveDuration({ defaultDuration: 8 }, 4)).toBe(4);
  });
  it('roundUpCents', () => {
    expect(roundUpCents(0)).toBe(0);
    expect(roundUpCents(1.00001)).toBe(2);
    expect(roundUpCents(1.00000000001)).toBe(1);
  });
  it('priceAt finds a resolution or returns undefined', () => {
    const route = { pricing: [{ resolution: '720p', perRequestCents: 0, perSecondCents: 1 }] };
    expect(priceAt(route, '720p')?.perSecondCents).toBe(1);
    expect(priceAt(route, '1080p')).toBeUndefined();
  });
});

describe('tokenCost (Responses API)', () => {
  const kimi = { inputPerMillionUsd: 0.6, outputPerMillionUsd: 3, inputPerMillionCents: 60, outputPerMillionCents: 300 };
  it('charges whole cents rounded up and reports exact USD', () => {
    // 1200 × 0.6/1M + 3400 × 3/1M = 0.00072 + 0.0102 = $0.01092 → 1.092 cents → 2 cents
    expect(tokenCost(kimi, 1200, 3400)).toEqual({ costCents: 2, costUsd: 0.01092 });
  });
  it('zero tokens cost nothing', () => {
    expect(tokenCost(kimi, 0, 0)).toEqual({ costCents: 0, costUsd: 0 });
  });
  it('a million output tokens cost the per-million rate', () => {
    expect(tokenCost(kimi, 0, 1_000_000)).toEqual({ costCents: 300, costUsd: 3 });
  });
});
