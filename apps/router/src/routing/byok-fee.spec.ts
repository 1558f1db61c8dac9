import { byokFeeCents, validateByokFee } from './byok-fee';

describe('byokFeeCents', () => {
  it('is the flat fee per request by default', () => {
    expect(byokFeeCents(50, { flatCents: 1, percent: 0 })).toBe(1);
    expect(byokFeeCents(400, { flatCents: 3, percent: 0 })).toBe(3);
  });

  it('adds the percentage of the list price, rounded up to a cent', () => {
    expect(byokFeeCents(50, { flatCents: 0, percent: 5 })).toBe(3); // 2.5 → 3
    expect(byokFeeCents(40, { flatCents: 1, percent: 5 })).toBe(3); // 1 + 2
    expect(byokFeeCents(100, { flatCents: 0, percent: 5 })).toBe(5); // exact, not 6
  });

  it('never charges more than the list price (a free route stays free)', () => {
    expect(byokFeeCents(2, { flatCents: 5, percent: 0 })).toBe(2);
    expect(byokFeeCents(0, { flatCents: 1, percent: 10 })).toBe(0);
  });

  it('refuses a negative flat fee or a percentage outside 0-100', () => {
    expect(() => validateByokFee({ flatCents: -1, percent: 0 })).toThrow(/PIPEVIDEO_BYOK_FEE_CENTS/);
    expect(() => validateByokFee({ flatCents: 1, percent: 101 })).toThrow(/PIPEVIDEO_BYOK_FEE_PERCENT/);
    expect(() => validateByokFee({ flatCents: 0, percent: 5 })).not.toThrow();
  });
});
