import type { GenerationFinishedEvt } from '@pipevideo/contracts';
import { GenerationSettlement } from '../src/settlement/generation-settlement';
import { accountBalance, ledgerFixture, LedgerFixture } from './fixture';

/**
 * Bring your own key (issue 22): a generation that ran on the org's own provider key is settled like any
 * other, but its capture is the platform fee and a ledger transaction of its own kind (`byok_fee`), and
 * its usage row says `byok`.
 */
describe('BYOK platform fee in the ledger (real PostgreSQL)', () => {
  let f: LedgerFixture;
  let settlement: GenerationSettlement;
  beforeAll(async () => {
    f = await ledgerFixture();
    settlement = new GenerationSettlement(f.ds, f.ledger, f.usage);
  });
  afterAll(async () => f?.close());

  const finished = (id: string, org: string, costCents: number, byok: boolean): GenerationFinishedEvt => ({
    v: 1,
    eventId: `finished:${id}`,
    api: 'video',
    generationId: id,
    orgId: org,
    status: 'completed',
    succeeded: true,
    model: 'wan/2.5',
    provider: 'fal',
    holdId: `${id}:1`,
    costCents,
    keepTokenCharge: false,
    outputUrl: 'https://example.com/v.mp4',
    errorMessage: null,
    finishedAt: new Date().toISOString(),
    byok,
  });

  it('captures the fee hold as a byok_fee transaction, to revenue, and the usage row says byok', async () => {
    await f.ledger.topup({ orgId: 'org_byok', amountCents: 1000, source: 'operator', key: 'topup:org_byok:1' });
    const revenueBefore = await accountBalance(f.ds, 'platform:revenue');
    expect((await f.ledger.placeHold({ orgId: 'org_byok', holdId: 'gen_b:1', amountCents: 2, generationId: 'gen_b' })).ok).toBe(true);
    await f.ds.transaction((m) => settlement.onGenerationFinished(m, finished('gen_b', 'org_byok', 2, true)));

    const [tx] = await f.ds.query(`SELECT kind, amount_cents FROM ledger_transactions WHERE generation_id = 'gen_b' AND kind <> 'hold'`);
    expect(tx).toEqual({ kind: 'byok_fee', amount_cents: '2' });
    expect(await f.ledger.balance('org_byok')).toMatchObject({ available_cents: 998, held_cents: 0 });
    expect(await accountBalance(f.ds, 'platform:revenue')).toBe(revenueBefore + 2);
    const usage = await f.usage.list({ orgId: 'org_byok' });
    expect(usage.data).toEqual([expect.objectContaining({ id: 'gen_b', byok: true, cost_cents: 2 })]);
    expect((await f.ledger.check()).balanced).toBe(true);

    // A redelivered event changes nothing.
    await f.ds.transaction((m) => settlement.onGenerationFinished(m, finished('gen_b', 'org_byok', 2, true)));
    expect(await f.ledger.balance('org_byok')).toMatchObject({ available_cents: 998, held_cents: 0 });
  });

  it('a generation on the platform key is a capture at its price, byok false', async () => {
    expect((await f.ledger.placeHold({ orgId: 'org_byok', holdId: 'gen_p:1', amountCents: 50, generationId: 'gen_p' })).ok).toBe(true);
    await f.ds.transaction((m) => settlement.onGenerationFinished(m, finished('gen_p', 'org_byok', 50, false)));
    const [tx] = await f.ds.query(`SELECT kind, amount_cents FROM ledger_transactions WHERE generation_id = 'gen_p' AND kind <> 'hold'`);
    expect(tx).toEqual({ kind: 'capture', amount_cents: '50' });
    expect((await f.usage.list({ orgId: 'org_byok' })).data.find((u) => u.id === 'gen_p')).toMatchObject({ byok: false, cost_cents: 50 });
    expect(await f.ledger.balance('org_byok')).toMatchObject({ available_cents: 948 });
  });

  it('a failed BYOK generation releases its fee hold: nothing charged', async () => {
    expect((await f.ledger.placeHold({ orgId: 'org_byok', holdId: 'gen_f:1', amountCents: 2, generationId: 'gen_f' })).ok).toBe(true);
    await f.ds.transaction((m) => settlement.onGenerationFinished(m, { ...finished('gen_f', 'org_byok', 0, true), status: 'failed', succeeded: false }));
    expect(await f.ledger.balance('org_byok')).toMatchObject({ available_cents: 948, held_cents: 0 });
    expect((await f.ledger.generationCharges('gen_f')).chargedCents).toBe(0);
  });
});
