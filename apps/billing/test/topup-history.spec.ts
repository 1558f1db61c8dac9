import { TopupHistory } from '../src/usage/topup-history';
import { LedgerFixture, ledgerFixture } from './fixture';

/** GET /v1/billing/topups' source: an org's topup transactions, newest first, paged by id (real PostgreSQL). */
describe('top-up history', () => {
  let f: LedgerFixture;
  let history: TopupHistory;
  beforeAll(async () => {
    f = await ledgerFixture();
    history = new TopupHistory(f.ds);
  });
  afterAll(async () => f?.close());

  it('lists only this org’s top-ups, newest first, in pages, with their source', async () => {
    await f.ledger.topup({ orgId: 'org_a', amountCents: 100, source: 'operator', key: 'a1' });
    await f.ledger.topup({ orgId: 'org_b', amountCents: 999, source: 'operator', key: 'b1' });
    await f.ledger.topup({ orgId: 'org_a', amountCents: 200, source: 'stripe', key: 'a2' });
    await f.ledger.topup({ orgId: 'org_a', amountCents: 300, source: 'sandbox', key: 'a3' });
    // A hold is not a top-up.
    await f.ledger.placeHold({ orgId: 'org_a', holdId: 'h1', amountCents: 50, generationId: 'gen_1' });

    const first = await history.list({ orgId: 'org_a', limit: 2 } as any);
    expect(first.data.map((t) => [t.amount_cents, t.source])).toEqual([[300, 'sandbox'], [200, 'stripe']]);
    expect(first.has_more).toBe(true);
    const second = await history.list({ orgId: 'org_a', limit: 2, cursor: first.next_cursor! } as any);
    expect(second.data.map((t) => t.amount_cents)).toEqual([100]);
    expect(second).toMatchObject({ has_more: false, next_cursor: null });
    expect(second.data[0]).toMatchObject({ object: 'topup', id: expect.stringMatching(/^top_\d+$/), created_at: expect.any(Number) });
    expect((await history.list({ orgId: 'org_none' } as any)).data).toEqual([]);
    await expect(history.list({ orgId: 'org_a', cursor: 'abc' } as any)).rejects.toThrow(/cursor/);
  });
});
