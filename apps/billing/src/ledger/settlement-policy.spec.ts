import { planSettlement } from './settlement-policy';

describe('planSettlement (capture policy)', () => {
  it('actual below the hold: charges the actual, releases the rest', () => {
    expect(planSettlement({ heldCents: 100, actualCents: 60, availableCents: 5 })).toEqual({
      heldCents: 100, actualCents: 60, fromHoldCents: 60, releasedCents: 40, fromAvailableCents: 0, writtenOffCents: 0, chargedCents: 60,
    });
  });

  it('actual equal to the hold: nothing released, nothing extra', () => {
    const p = planSettlement({ heldCents: 100, actualCents: 100, availableCents: 0 });
    expect(p).toMatchObject({ fromHoldCents: 100, releasedCents: 0, fromAvailableCents: 0, writtenOffCents: 0, chargedCents: 100 });
  });

  it('actual above the hold: the excess comes from the available balance when there is enough', () => {
    const p = planSettlement({ heldCents: 100, actualCents: 130, availableCents: 50 });
    expect(p).toMatchObject({ fromHoldCents: 100, releasedCents: 0, fromAvailableCents: 30, writtenOffCents: 0, chargedCents: 130 });
  });

  it('actual above hold and available: available goes to zero, the shortfall is written off', () => {
    const p = planSettlement({ heldCents: 100, actualCents: 180, availableCents: 50 });
    expect(p).toMatchObject({ fromHoldCents: 100, fromAvailableCents: 50, writtenOffCents: 30, chargedCents: 150 });
  });

  it('no hold at all (released or unknown): charges the available balance, writes off the rest', () => {
    expect(planSettlement({ heldCents: 0, actualCents: 70, availableCents: 20 })).toMatchObject({
      fromHoldCents: 0, releasedCents: 0, fromAvailableCents: 20, writtenOffCents: 50, chargedCents: 20,
    });
  });

  it('zero cost releases the whole hold', () => {
    expect(planSettlement({ heldCents: 40, actualCents: 0, availableCents: 0 })).toMatchObject({ releasedCents: 40, chargedCents: 0 });
  });

  it('always balances: held + fromAvailable + writtenOff = actual + released', () => {
    for (let held = 0; held < 30; held += 7)
      for (let actual = 0; actual < 60; actual += 11)
        for (let avail = 0; avail < 40; avail += 13) {
          const p = planSettlement({ heldCents: held, actualCents: actual, availableCents: avail });
          expect(p.heldCents + p.fromAvailableCents + p.writtenOffCents).toBe(p.actualCents + p.releasedCents);
          expect(p.fromAvailableCents).toBeLessThanOrEqual(avail);
          expect(Math.min(p.releasedCents, p.fromAvailableCents)).toBe(0);
        }
  });

  it('refuses fractional or negative cents', () => {
    expect(() => planSettlement({ heldCents: 1.5, actualCents: 1, availableCents: 0 })).toThrow(RangeError);
    expect(() => planSettlement({ heldCents: 1, actualCents: -1, availableCents: 0 })).toThrow(RangeError);
  });
});
