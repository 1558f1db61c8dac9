import { planCredit, planDebit, planSettlement } from './settlement-policy';

describe('planSettlement (capture policy)', () => {
  it('actual below the hold: charges the actual, releases the rest', () => {
    expect(planSettlement({ heldCents: 100, actualCents: 60, availableCents: 5, owedCents: 0 })).toEqual({
      heldCents: 100, actualCents: 60, fromHoldCents: 60, releasedCents: 40, repaidCents: 0, fromAvailableCents: 0, owedCents: 0, chargedCents: 60,
    });
  });

  it('actual equal to the hold: nothing released, nothing extra', () => {
    const p = planSettlement({ heldCents: 100, actualCents: 100, availableCents: 0, owedCents: 0 });
    expect(p).toMatchObject({ fromHoldCents: 100, releasedCents: 0, fromAvailableCents: 0, owedCents: 0, chargedCents: 100 });
  });

  it('actual above the hold: the excess comes from the available balance when there is enough', () => {
    const p = planSettlement({ heldCents: 100, actualCents: 130, availableCents: 50, owedCents: 0 });
    expect(p).toMatchObject({ fromHoldCents: 100, releasedCents: 0, fromAvailableCents: 30, owedCents: 0, chargedCents: 130 });
  });

  it('actual above hold and available: available goes to zero, the shortfall is owed by the org (never written off)', () => {
    const p = planSettlement({ heldCents: 100, actualCents: 180, availableCents: 50, owedCents: 0 });
    expect(p).toMatchObject({ fromHoldCents: 100, fromAvailableCents: 50, owedCents: 30, chargedCents: 180 });
    expect(p).not.toHaveProperty('writtenOffCents');
  });

  it('no hold at all (released or unknown): charges the available balance, the rest is owed', () => {
    expect(planSettlement({ heldCents: 0, actualCents: 70, availableCents: 20, owedCents: 0 })).toMatchObject({
      fromHoldCents: 0, releasedCents: 0, fromAvailableCents: 20, owedCents: 50, chargedCents: 70,
    });
  });

  it('an org that already owes: the excess adds to what it owes', () => {
    expect(planSettlement({ heldCents: 100, actualCents: 130, availableCents: 0, owedCents: 40 })).toMatchObject({
      fromHoldCents: 100, fromAvailableCents: 0, owedCents: 30, repaidCents: 0, chargedCents: 130,
    });
  });

  it('an org that owes (credits taken back while the job ran): the unused part of the hold pays the debt first', () => {
    expect(planSettlement({ heldCents: 100, actualCents: 60, availableCents: 0, owedCents: 25 })).toMatchObject({
      fromHoldCents: 60, releasedCents: 40, repaidCents: 25, owedCents: 0, chargedCents: 60,
    });
    expect(planSettlement({ heldCents: 100, actualCents: 60, availableCents: 0, owedCents: 500 })).toMatchObject({ releasedCents: 40, repaidCents: 40 });
  });

  it('zero cost releases the whole hold', () => {
    expect(planSettlement({ heldCents: 40, actualCents: 0, availableCents: 0, owedCents: 0 })).toMatchObject({ releasedCents: 40, chargedCents: 0 });
  });

  it('always balances and charges the whole cost: held + fromAvailable + owed = actual + released', () => {
    for (let held = 0; held < 30; held += 7)
      for (let actual = 0; actual < 60; actual += 11)
        for (let avail = 0; avail < 40; avail += 13)
          for (const owed of [0, 9, 100]) {
            const p = planSettlement({ heldCents: held, actualCents: actual, availableCents: avail, owedCents: owed });
            expect(p.heldCents + p.fromAvailableCents + p.owedCents).toBe(p.actualCents + p.releasedCents);
            expect(p.chargedCents).toBe(p.fromHoldCents + p.fromAvailableCents + p.owedCents);
            expect(p.chargedCents).toBe(actual);
            expect(p.fromAvailableCents).toBeLessThanOrEqual(avail);
            expect(p.repaidCents).toBeLessThanOrEqual(Math.min(owed, p.releasedCents));
            expect(Math.min(p.releasedCents, p.fromAvailableCents)).toBe(0);
            // Owing only once the available balance is exhausted; repaying only what was owed.
            if (p.owedCents > 0) expect(p.fromAvailableCents).toBe(avail);
            if (p.releasedCents > 0) expect(p.repaidCents).toBe(Math.min(owed, p.releasedCents));
          }
  });

  it('refuses fractional or negative cents', () => {
    expect(() => planSettlement({ heldCents: 1.5, actualCents: 1, availableCents: 0, owedCents: 0 })).toThrow(RangeError);
    expect(() => planSettlement({ heldCents: 1, actualCents: -1, availableCents: 0, owedCents: 0 })).toThrow(RangeError);
    expect(() => planSettlement({ heldCents: 1, actualCents: 1, availableCents: 0, owedCents: -1 })).toThrow(RangeError);
  });
});

describe('planDebit (usage or a Stripe reversal taking credits)', () => {
  it('takes what is available; the rest is owed', () => {
    expect(planDebit({ amountCents: 100, availableCents: 300 })).toEqual({ fromAvailableCents: 100, owedCents: 0 });
    expect(planDebit({ amountCents: 1000, availableCents: 300 })).toEqual({ fromAvailableCents: 300, owedCents: 700 });
    expect(planDebit({ amountCents: 50, availableCents: 0 })).toEqual({ fromAvailableCents: 0, owedCents: 50 });
  });
  it('refuses negative cents', () => {
    expect(() => planDebit({ amountCents: -1, availableCents: 0 })).toThrow(RangeError);
  });
});

describe('planCredit (top-up, release, refund, dispute won)', () => {
  it('settles what is owed first, the rest becomes available', () => {
    expect(planCredit({ amountCents: 300, owedCents: 0 })).toEqual({ repaidCents: 0, toAvailableCents: 300 });
    expect(planCredit({ amountCents: 300, owedCents: 120 })).toEqual({ repaidCents: 120, toAvailableCents: 180 });
    expect(planCredit({ amountCents: 100, owedCents: 120 })).toEqual({ repaidCents: 100, toAvailableCents: 0 });
  });
  it('refuses fractional cents', () => {
    expect(() => planCredit({ amountCents: 0.5, owedCents: 0 })).toThrow(RangeError);
  });
});
