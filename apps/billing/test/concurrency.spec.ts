import { Ledger, LedgerOptions } from '../src/ledger/ledger';
import { accountBalance, LedgerFixture, ledgerFixture } from './fixture';

/**
 * Proof under concurrency: 1,000 holds fired at once at one org whose balance covers only N of
 * them. Exactly N succeed, the available balance never dips below zero, and after capturing some
 * (below, at and above their hold) and releasing the rest — concurrently with more holds — the
 * ledger still sums to zero and matches what the operations said they did.
 */
describe.each<[string, LedgerOptions]>([
  // Every hold its own PostgreSQL transaction: 20 connections fight over the org's row.
  ['unbatched, 20 connections racing', { holdBatchSize: 1, holdBatchesInFlight: 20 }],
  // The production setting: concurrent holds coalesced into batches.
  ['batched (default)', {}],
])('holds under heavy concurrency: %s', (_name, opts) => {
  let f: LedgerFixture;
  beforeAll(async () => {
    f = await ledgerFixture(20);
    f.ledger = new Ledger(f.ds, opts);
  });
  afterAll(async () => {
    await f?.close();
  });

  it('1,000 concurrent holds, balance for N: exactly N succeed, available never < 0, ledger balanced after settling', async () => {
    const org = 'org_hot';
    const HOLDS = 1000;
    const AMOUNT = 7;
    const N = 137;
    const TOPUP = N * AMOUNT + (AMOUNT - 1); // one cent short of N+1 holds
    await f.ledger.topup({ orgId: org, amountCents: TOPUP, source: 'operator', key: 'topup:hot' });

    // Watch the balance row from the side while the storm runs.
    let minAvailable = Infinity;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const [r] = await f.ds.query(`SELECT available_cents, held_cents FROM org_balances WHERE org_id = $1`, [org]);
        minAvailable = Math.min(minAvailable, Number(r.available_cents));
        await new Promise((res) => setImmediate(res));
      }
    })();

    const results = await Promise.all(
      Array.from({ length: HOLDS }, (_, i) => f.ledger.placeHold({ orgId: org, holdId: `gen${i}:1`, amountCents: AMOUNT, generationId: `gen${i}` })),
    );
    watching = false;
    await watcher;

    const ok = results.filter((r) => r.ok);
    const refused = results.filter((r) => !r.ok);
    expect(ok).toHaveLength(N);
    expect(refused).toHaveLength(HOLDS - N);
    expect(refused.every((r) => !r.ok && r.reason === 'insufficient_balance' && r.message.startsWith('Insufficient balance'))).toBe(true);
    for (const r of results) if (r.balance) expect(r.balance.available_cents).toBeGreaterThanOrEqual(0);
    expect(minAvailable).toBeGreaterThanOrEqual(0);
    expect(await f.ledger.balance(org)).toEqual({ balance_cents: TOPUP, held_cents: N * AMOUNT, available_cents: AMOUNT - 1, owed_cents: 0 });
    expect(await f.ledger.openHolds()).toBe(N);

    // Replaying every successful hold at once changes nothing.
    const replays = await Promise.all(ok.map((r) => r.ok && f.ledger.placeHold({ orgId: org, holdId: r.holdId, amountCents: AMOUNT, generationId: 'x' })));
    expect(replays.every((r) => r && r.ok && r.duplicate)).toBe(true);

    // Settle concurrently: capture 2/3 of them (at 5, 7 and 9 cents: below, at and above the hold),
    // release the rest, and meanwhile fire 200 more holds that compete for the released money.
    const okIds = ok.map((r) => (r.ok ? r.holdId : ''));
    const captures = okIds.filter((_, i) => i % 3 !== 0);
    const releases = okIds.filter((_, i) => i % 3 === 0);
    const costOf = (i: number) => [5, 7, 9][i % 3];
    const settle = await Promise.all([
      ...captures.map((id, i) => f.ledger.capture({ holdId: id, amountCents: costOf(i) })),
      ...releases.map((id) => f.ledger.release({ holdId: id })),
      ...Array.from({ length: 200 }, (_, i) => f.ledger.placeHold({ orgId: org, holdId: `late${i}:1`, amountCents: AMOUNT, generationId: `late${i}` })),
      // Redeliveries of the same settlements, racing the originals.
      ...captures.slice(0, 20).map((id, i) => f.ledger.capture({ holdId: id, amountCents: costOf(i) })),
      ...releases.slice(0, 20).map((id) => f.ledger.release({ holdId: id })),
    ]);
    expect(settle.length).toBeGreaterThan(0);
    const lateOk = (settle.filter((r: any) => 'ok' in r && r.ok) as any[]).length;

    const check = await f.ledger.check();
    expect(check).toEqual({ balanced: true, transactions_unbalanced: 0, cached_mismatches: 0, holds_mismatches: 0, imbalance_cents: 0 });

    // Cross-check the ledger against the holds table, operation by operation.
    const [h] = await f.ds.query(
      `SELECT count(*) FILTER (WHERE status = 'open') AS open, count(*) FILTER (WHERE status = 'captured') AS captured,
              count(*) FILTER (WHERE status = 'released') AS released,
              coalesce(sum(amount_cents) FILTER (WHERE status = 'open'), 0) AS held,
              coalesce(sum(charged_cents), 0) AS charged, coalesce(sum(written_off_cents), 0) AS written_off
         FROM holds WHERE org_id = $1`,
      [org],
    );
    expect(Number(h.captured)).toBe(captures.length);
    expect(Number(h.released)).toBe(releases.length);
    expect(Number(h.open)).toBe(lateOk);
    const revenue = await accountBalance(f.ds, 'platform:revenue');
    const writeoff = await accountBalance(f.ds, 'platform:writeoff');
    const source = await accountBalance(f.ds, 'source:operator');
    expect(revenue).toBe(captures.reduce((s, _, i) => s + costOf(i), 0));
    // Nothing is written off any more: a capture above hold + available is owed by the org.
    expect(revenue).toBe(Number(h.charged));
    expect(writeoff).toBe(0);
    expect(Number(h.written_off)).toBe(0);
    const bal = await f.ledger.balance(org);
    expect(bal.held_cents).toBe(Number(h.held));
    expect(bal.available_cents).toBeGreaterThanOrEqual(0);
    expect(bal.owed_cents === 0 || bal.available_cents === 0).toBe(true);
    expect((await accountBalance(f.ds, `org:${org}:owed`)) + bal.owed_cents).toBe(0);
    // Money is conserved: what came in = what the org still has, net of what it owes + what the platform earned.
    expect(-source).toBe(bal.balance_cents - bal.owed_cents + revenue);
    const [t] = await f.ds.query(`SELECT count(*) AS n FROM ledger_transactions WHERE org_id = $1 AND kind = 'hold'`, [org]);
    expect(Number(t.n)).toBe(N + lateOk);
  }, 120_000);
});
