import { MAX_HOLDS_PER_REQUEST, RPC_SEAM, RPC } from './index';

describe('PlaceHoldsMsg (billing.hold.placeMany)', () => {
  const decode = RPC_SEAM[RPC.billing.holdPlaceMany].decode;
  const hold = { v: 1, orgId: 'org_a', holdId: 'g1:1', amountCents: 10, generationId: 'g1' };

  it('decodes each hold as billing.hold.place decodes it (nested validation)', () => {
    const m = decode({ v: 1, holds: [hold, { ...hold, holdId: 'g2:1', correlationId: 'c2', keyId: 'k', keyLimitCents: 5, keyLimitReset: 'daily' }] });
    expect(m.holds).toHaveLength(2);
    expect(m.holds[1]).toMatchObject({ holdId: 'g2:1', correlationId: 'c2', keyLimitReset: 'daily' });
    expect(() => decode({ v: 1, holds: [hold, { ...hold, amountCents: -1 }] })).toThrow(/holds.*amountCents/);
    expect(() => decode({ v: 1, holds: [hold, { ...hold, keyLimitReset: 'hourly' }] })).toThrow(/keyLimitReset/);
    expect(() => decode({ v: 1, holds: [{ ...hold, v: undefined }] })).toThrow(/\bv\b/);
    expect(() => decode({ v: 1, holds: ['g1:1'] })).toThrow(/holds/);
  });

  it('is bounded: at least one hold, at most MAX_HOLDS_PER_REQUEST', () => {
    expect(() => decode({ v: 1, holds: [] })).toThrow(/holds/);
    expect(decode({ v: 1, holds: Array.from({ length: MAX_HOLDS_PER_REQUEST }, () => hold) }).holds).toHaveLength(MAX_HOLDS_PER_REQUEST);
    expect(() => decode({ v: 1, holds: Array.from({ length: MAX_HOLDS_PER_REQUEST + 1 }, () => hold) })).toThrow(/holds/);
  });
});
