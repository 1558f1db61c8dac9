import { DomainError, type PlaceHoldMsg, type PlaceHoldsItem, RPC } from '@pipevideo/contracts';
import { createInProcessWiring, createTestDatabase, type RpcClient, type TestDatabase } from '@pipevideo/platform';
import { type RunningBillingService, startBillingService } from '../src';

/** Each item of the batch is a `billing.hold.place` request, its envelope included. */
type Hold = PlaceHoldMsg;

/**
 * `billing.hold.placeMany` against the real service (in-process bus, real PostgreSQL): each hold of a
 * batch is answered exactly as `billing.hold.place` answers it, and posted once.
 */
describe('billing.hold.placeMany', () => {
  let db: TestDatabase;
  let svc: RunningBillingService;
  let rpc: RpcClient;

  beforeAll(async () => {
    db = await createTestDatabase('pv_billing_many');
    svc = await startBillingService({ messaging: { kind: 'inprocess', wiring: createInProcessWiring() }, databaseUrl: db.url, port: 0, eventConsumer: false });
    rpc = svc.ctx.messaging.rpc;
  }, 30_000);

  afterAll(async () => {
    await svc?.close();
    await db?.drop();
  });

  const fund = (orgId: string, cents: number) => rpc.request(RPC.billing.topupCreate, { orgId, amountCents: cents, idempotencyKey: `fund-${orgId}`, source: 'operator' });

  /**
   * Mixed holds of one org funded with 1,000 cents and one funded with 50, ids in the order the ledger
   * places a batch (by org, then hold id), so one-by-one placements in request order are comparable.
   */
  async function scenario(p: string): Promise<Hold[]> {
    await fund(`${p}_a`, 1000);
    await fund(`${p}_b`, 50);
    // A hold released before it was placed leaves a tombstone: placing it is refused (CONFLICT).
    await svc.domain.ledger.release({ holdId: `${p}_g9:1`, orgId: `${p}_a` });
    const a = (g: string, amountCents: number, more: Partial<Hold> = {}): Hold => ({ v: 1, orgId: `${p}_a`, holdId: `${p}_${g}:1`, amountCents, generationId: `${p}_${g}`, ...more });
    return [
      a('g1', 300), // placed
      a('g1', 300), // the same hold again: the same `placed` answer, posted once
      a('g2', 800), // insufficient: 700 left
      a('g3', 200, { keyId: 'key_1', keyLimitCents: 100, keyLimitReset: 'daily' }), // key_limit
      a('g4', 400), // placed: a refusal before it does not fail it
      a('g5', 0), // placed, zero
      a('g9', 10), // tombstoned: error (CONFLICT) for this hold only
      { v: 1, orgId: `${p}_b`, holdId: `${p}_h1:1`, amountCents: 60, generationId: `${p}_h1` }, // insufficient (another org)
      { v: 1, orgId: `${p}_b`, holdId: `${p}_h2:1`, amountCents: 50, generationId: `${p}_h2` }, // placed
    ];
  }

  /** `billing.hold.place`'s answer, its error as the batch item it would be. */
  const placeOne = (h: Hold): Promise<PlaceHoldsItem> =>
    rpc.request(RPC.billing.holdPlace, h).catch((err: DomainError) => ({ outcome: 'error', code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) }));

  it('answers each hold of a mixed batch as billing.hold.place would, in order, and one bad hold fails no other', async () => {
    const many = await scenario('m');
    const before = svc.domain.ledger.holdBatchStats;
    const reply = await rpc.request(RPC.billing.holdPlaceMany, { holds: many });
    const after = svc.domain.ledger.holdBatchStats;
    // All the holds of the request went to PostgreSQL together (the service is otherwise idle).
    expect(after.batches - before.batches).toBe(1);
    expect(after.items - before.items).toBe(many.length);

    expect(reply.results.map((r) => r.outcome)).toEqual(['placed', 'placed', 'insufficient', 'key_limit', 'placed', 'placed', 'error', 'insufficient', 'placed']);
    expect(reply.results[0]).toEqual({ outcome: 'placed', holdId: 'm_g1:1', amountCents: 300, balance: expect.any(Object) });
    expect(reply.results[1]).toMatchObject({ outcome: 'placed', holdId: 'm_g1:1', amountCents: 300 });
    expect(reply.results[2]).toMatchObject({ outcome: 'insufficient', availableCents: 700, owedCents: 0, message: 'Insufficient balance: 700 cents available, 800 cents needed' });
    expect(reply.results[3]).toMatchObject({ outcome: 'key_limit', keyLimit: { limitCents: 100, spentCents: 0 } });
    expect(reply.results[6]).toMatchObject({ outcome: 'error', code: 'CONFLICT', message: expect.stringContaining('released or captured before it was placed') });

    // The same holds one by one through billing.hold.place (another pair of orgs): the same answers.
    const one: PlaceHoldsItem[] = [];
    for (const h of await scenario('p')) one.push(await placeOne(h));
    const unprefixed = (x: unknown) => JSON.parse(JSON.stringify(x).replace(/\b[mp]_/g, 'X_'));
    expect(unprefixed(reply.results)).toEqual(unprefixed(one));

    expect(await rpc.request(RPC.billing.balanceGet, { orgId: 'm_a' })).toEqual({ balance_cents: 1000, held_cents: 700, available_cents: 300, owed_cents: 0 });
    expect(await rpc.request(RPC.billing.balanceGet, { orgId: 'm_b' })).toEqual({ balance_cents: 50, held_cents: 50, available_cents: 0, owed_cents: 0 });
  });

  it('posts the ledger exactly once per placed hold, also when the batch is sent again', async () => {
    const holds = await scenario('r');
    const first = await rpc.request(RPC.billing.holdPlaceMany, { holds });
    // A retried request (the router's timeout, a redelivery): idempotent on each holdId.
    const again = await rpc.request(RPC.billing.holdPlaceMany, { holds });
    const outcomes = (x: typeof first) => x.results.map((r) => r.outcome);
    expect(outcomes(again)).toEqual(outcomes(first));
    expect(again.results.filter((r) => r.outcome === 'placed')).toEqual(first.results.filter((r) => r.outcome === 'placed').map((r) => ({ ...r, balance: expect.any(Object) })));

    const posted = await svc.ctx.ds.query(
      `SELECT t.hold_id, count(DISTINCT t.id)::int AS txs, count(e.*)::int AS entries, coalesce(sum(e.amount_cents), 0)::int AS net
         FROM ledger_transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id
        WHERE t.kind = 'hold' AND t.org_id LIKE 'r\\_%' GROUP BY t.hold_id ORDER BY t.hold_id`,
    );
    // Zero holds post nothing; refused and tombstoned holds post nothing; each placed one posts one balanced pair.
    expect(posted).toEqual([
      { hold_id: 'r_g1:1', txs: 1, entries: 2, net: 0 },
      { hold_id: 'r_g4:1', txs: 1, entries: 2, net: 0 },
      { hold_id: 'r_h2:1', txs: 1, entries: 2, net: 0 },
    ]);
    const open = await svc.ctx.ds.query(`SELECT hold_id, amount_cents::int AS cents FROM holds WHERE org_id LIKE 'r\\_%' AND placed ORDER BY hold_id`);
    expect(open).toEqual([
      { hold_id: 'r_g1:1', cents: 300 },
      { hold_id: 'r_g4:1', cents: 400 },
      { hold_id: 'r_g5:1', cents: 0 },
      { hold_id: 'r_h2:1', cents: 50 },
    ]);
    expect(await rpc.request(RPC.billing.ledgerCheck, {})).toMatchObject({ balanced: true, transactions_unbalanced: 0, cached_mismatches: 0 });
  });

  it('refuses a malformed request as a whole, naming the hold and field; bounds the batch', async () => {
    const ok: Hold = { v: 1, orgId: 'x', holdId: 'x:1', amountCents: 1, generationId: 'x' };
    await expect(rpc.request(RPC.billing.holdPlaceMany, { holds: [ok, { ...ok, amountCents: -1 }] })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('amountCents') });
    await expect(rpc.request(RPC.billing.holdPlaceMany, { holds: [] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(rpc.request(RPC.billing.holdPlaceMany, { holds: Array.from({ length: 257 }, (_, k) => ({ ...ok, holdId: `x:${k}` })) })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(rpc.request(RPC.billing.holdPlaceMany, { holds: ['x:1'] } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
