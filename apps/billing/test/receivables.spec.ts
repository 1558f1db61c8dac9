import { createServiceDataSource, createTestDatabase, initServiceDataSource } from '@pipevideo/platform';
import { Ledger } from '../src/ledger/ledger';
import { CreateLedger1710000000000 } from '../src/db/migrations/1710000000000-create-ledger';
import { StripeReversalIndexes1710000000100 } from '../src/db/migrations/1710000000100-stripe-reversal-indexes';
import { BILLING_MIGRATIONS } from '../src/service';
import { accountBalance, LedgerFixture, ledgerFixture } from './fixture';

/** Orgs owe what they cannot cover; nothing is written off; any credit pays the debt first. */
describe('receivables: an org can owe (real PostgreSQL)', () => {
  let f: LedgerFixture;
  beforeAll(async () => {
    f = await ledgerFixture();
  });
  afterAll(async () => {
    await f?.close();
  });

  let n = 0;
  const newOrg = () => `org_o${++n}`;
  const expectHealthy = async () => expect(await f.ledger.check()).toMatchObject({ balanced: true, cached_mismatches: 0, imbalance_cents: 0 });
  const fund = (orgId: string, amountCents: number, source: 'operator' | 'stripe' | 'sandbox' = 'operator', key = `topup:${orgId}:${amountCents}:${n}`) =>
    f.ledger.topup({ orgId, amountCents, source, key });
  /** An org that owes `owed`: funded with `paid`, then charged `paid + owed` without a hold. */
  const owing = async (owed: number, paid = 10) => {
    const o = newOrg();
    await fund(o, paid);
    const r = await f.ledger.chargeTokens({ orgId: o, responseId: `${o}-debt`, amountCents: paid + owed, inputTokens: 1, outputTokens: 1 });
    expect(r).toMatchObject({ owedCents: owed, balance: { available_cents: 0, owed_cents: owed } });
    return o;
  };
  const stripeTopup = (orgId: string, amountCents: number, pi: string) =>
    f.ledger.topup({ orgId, amountCents, source: 'stripe', key: `stripe:session:cs_${pi}`, metadata: { paymentIntent: pi } });

  describe('settlement never writes off', () => {
    it('a capture above hold + available: the org owes the rest; revenue gets the whole cost', async () => {
      const o = newOrg();
      await fund(o, 150);
      await f.ledger.placeHold({ orgId: o, holdId: `${o}:1`, amountCents: 100, generationId: `${o}-g` });
      const w0 = await accountBalance(f.ds, 'platform:writeoff');
      const r = await f.ledger.capture({ holdId: `${o}:1`, amountCents: 180 });
      expect(r).toMatchObject({ chargedCents: 180, owedCents: 30, writtenOffCents: 0, balance: { available_cents: 0, held_cents: 0, owed_cents: 30, balance_cents: 0 } });
      expect(await accountBalance(f.ds, 'platform:writeoff')).toBe(w0);
      expect(await accountBalance(f.ds, `org:${o}:owed`)).toBe(-30);
      await expectHealthy();
    });

    it('a capture of a released hold and a token charge without hold, for an org with nothing: all owed', async () => {
      const o = newOrg();
      await fund(o, 40);
      await f.ledger.placeHold({ orgId: o, holdId: `${o}:1`, amountCents: 40, generationId: `${o}-g` });
      await f.ledger.release({ holdId: `${o}:1` });
      expect(await f.ledger.capture({ holdId: `${o}:1`, amountCents: 100 })).toMatchObject({ chargedCents: 100, owedCents: 60, balance: { owed_cents: 60 } });
      const t = await f.ledger.chargeTokens({ orgId: o, responseId: `${o}-r`, amountCents: 25, inputTokens: 1, outputTokens: 1 });
      expect(t).toMatchObject({ chargedCents: 25, owedCents: 25, balance: { available_cents: 0, owed_cents: 85 } });
      expect(t.moves).toEqual([{ operation: 'token_charge', cents: 25 }, { operation: 'owed', cents: 25 }]);
      // A replayed token charge reports the same figures and moves nothing.
      expect(await f.ledger.chargeTokens({ orgId: o, responseId: `${o}-r`, amountCents: 25, inputTokens: 1, outputTokens: 1 })).toMatchObject({
        duplicate: true, chargedCents: 25, owedCents: 25, moves: [],
      });
      await expectHealthy();
    });
  });

  describe('creates are refused while owing', () => {
    it('every hold is refused as insufficient with the amount owed, also a zero hold; a replay of an earlier hold still answers', async () => {
      const o = newOrg();
      await fund(o, 100);
      await f.ledger.placeHold({ orgId: o, holdId: `${o}:early`, amountCents: 100, generationId: `${o}-e` });
      await f.ledger.chargeTokens({ orgId: o, responseId: `${o}-debt`, amountCents: 120, inputTokens: 1, outputTokens: 1 });
      expect(await f.ledger.balance(o)).toMatchObject({ available_cents: 0, held_cents: 100, owed_cents: 120 });
      for (const amountCents of [1, 0]) {
        const r = await f.ledger.placeHold({ orgId: o, holdId: `${o}:${amountCents}`, amountCents, generationId: `${o}-x` });
        expect(r).toMatchObject({
          ok: false,
          reason: 'insufficient_balance',
          message: 'Insufficient balance: your organization owes 120 cents; a top-up settles it first',
          balance: { owed_cents: 120 },
        });
      }
      expect(await f.ledger.placeHold({ orgId: o, holdId: `${o}:early`, amountCents: 100, generationId: `${o}-e` })).toMatchObject({ ok: true, duplicate: true });
      // The refused zero hold left nothing behind: once settled it can be placed.
      await fund(o, 120, 'sandbox');
      expect(await f.ledger.placeHold({ orgId: o, holdId: `${o}:0`, amountCents: 0, generationId: `${o}-x` })).toMatchObject({ ok: true });
      await expectHealthy();
    });

    it('an org without money but owing nothing keeps the old message', async () => {
      const r = await f.ledger.placeHold({ orgId: newOrg(), holdId: 'poor:1', amountCents: 5, generationId: 'poor' });
      expect(r).toMatchObject({ ok: false, message: 'Insufficient balance: 0 cents available, 5 cents needed' });
    });
  });

  describe('any top-up pays what is owed first', () => {
    it.each(['operator', 'stripe', 'sandbox'] as const)('%s: a top-up smaller than the debt only reduces it; the next one settles it and the rest is available', async (source) => {
      const o = await owing(120);
      const first = await fund(o, 50, source, `topup:${o}:a`);
      expect(first).toMatchObject({ duplicate: false, repaidCents: 50, balance: { available_cents: 0, owed_cents: 70 } });
      expect(first.moves).toEqual([{ operation: 'topup', cents: 50 }, { operation: 'owed_settled', cents: 50 }]);
      expect(await f.ledger.placeHold({ orgId: o, holdId: `${o}:1`, amountCents: 1, generationId: 'g' })).toMatchObject({ ok: false, reason: 'insufficient_balance' });
      const second = await fund(o, 100, source, `topup:${o}:b`);
      expect(second).toMatchObject({ repaidCents: 70, balance: { available_cents: 30, owed_cents: 0, balance_cents: 30 } });
      // A replay of the first top-up changes nothing.
      expect(await fund(o, 50, source, `topup:${o}:a`)).toMatchObject({ duplicate: true, moves: [], balance: { available_cents: 30, owed_cents: 0 } });
      expect(await f.ledger.placeHold({ orgId: o, holdId: `${o}:2`, amountCents: 30, generationId: 'g' })).toMatchObject({ ok: true });
      expect(await accountBalance(f.ds, `org:${o}:owed`)).toBe(0);
      await expectHealthy();
    });
  });

  describe('refunding a generation gives back whatever paid for it, what is owed first', () => {
    it('paid by hold + available + owed: the refund cancels the debt and returns the rest', async () => {
      const o = newOrg();
      await fund(o, 150);
      await f.ledger.placeHold({ orgId: o, holdId: `${o}:1`, amountCents: 100, generationId: `${o}-g` });
      await f.ledger.capture({ holdId: `${o}:1`, amountCents: 180 });
      const revenue0 = await accountBalance(f.ds, 'platform:revenue');
      const r = await f.ledger.refundGeneration({ generationId: `${o}-g` });
      expect(r).toMatchObject({ refundedCents: 180, moves: [{ operation: 'refund', cents: 180 }, { operation: 'owed_settled', cents: 30 }] });
      expect(await f.ledger.balance(o)).toMatchObject({ available_cents: 150, held_cents: 0, owed_cents: 0 });
      expect(await accountBalance(f.ds, 'platform:revenue')).toBe(revenue0 - 180);
      expect(await f.ledger.generationCharges(`${o}-g`)).toMatchObject({ chargedCents: 0 });
      await expectHealthy();
    });

    it('the debt was partly paid by a top-up meanwhile: the refund settles the rest of it and returns the remainder', async () => {
      const o = newOrg();
      await fund(o, 20);
      await f.ledger.chargeTokens({ orgId: o, responseId: `${o}-r`, amountCents: 100, inputTokens: 1, outputTokens: 1 });
      await fund(o, 50, 'operator', `topup:${o}:later`);
      expect(await f.ledger.balance(o)).toMatchObject({ available_cents: 0, owed_cents: 30 });
      expect(await f.ledger.refundGeneration({ generationId: `${o}-r` })).toMatchObject({ refundedCents: 100 });
      expect(await f.ledger.balance(o)).toMatchObject({ available_cents: 70, owed_cents: 0 });
      await expectHealthy();
    });

    it('the org owes for something else: the refund pays that debt first', async () => {
      const o = newOrg();
      await fund(o, 100);
      await f.ledger.placeHold({ orgId: o, holdId: `${o}:1`, amountCents: 60, generationId: `${o}-g1` });
      await f.ledger.capture({ holdId: `${o}:1`, amountCents: 60 });
      await f.ledger.chargeTokens({ orgId: o, responseId: `${o}-other`, amountCents: 90, inputTokens: 1, outputTokens: 1 });
      expect(await f.ledger.balance(o)).toMatchObject({ available_cents: 0, owed_cents: 50 });
      await f.ledger.refundGeneration({ generationId: `${o}-g1` });
      expect(await f.ledger.balance(o)).toMatchObject({ available_cents: 10, owed_cents: 0 });
      await expectHealthy();
    });
  });

  describe('Stripe takes credits back (reverseTopup)', () => {
    const reverse = (orgId: string, amountCents: number, key: string, extra: Record<string, unknown> = {}) =>
      f.ledger.reverseTopup({ orgId, amountCents, source: 'stripe', key, ...extra });

    it('takes what is available; what was spent and what running jobs hold becomes owed; a replay changes nothing', async () => {
      const o = newOrg();
      await stripeTopup(o, 1000, `pi_${o}`);
      await f.ledger.placeHold({ orgId: o, holdId: `${o}:1`, amountCents: 300, generationId: `${o}-g` });
      await f.ledger.chargeTokens({ orgId: o, responseId: `${o}-spent`, amountCents: 200, inputTokens: 1, outputTokens: 1 });
      expect(await f.ledger.balance(o)).toMatchObject({ available_cents: 500, held_cents: 300 });
      const w0 = await accountBalance(f.ds, 'platform:writeoff');
      const r = await reverse(o, 1000, `stripe:refund:ch_${o}:1000`);
      expect(r).toMatchObject({ duplicate: false, takenCents: 500, owedCents: 500, balance: { available_cents: 0, held_cents: 300, owed_cents: 500 } });
      expect(r.moves).toEqual([{ operation: 'topup_reversal', cents: 500 }, { operation: 'owed', cents: 500 }]);
      expect(await reverse(o, 1000, `stripe:refund:ch_${o}:1000`)).toMatchObject({ duplicate: true, moves: [] });
      expect(await accountBalance(f.ds, 'platform:writeoff')).toBe(w0);
      // The job fails: its released hold pays the debt back (it is the refunded money) ...
      const rel = await f.ledger.release({ holdId: `${o}:1` });
      expect(rel.moves).toEqual([{ operation: 'release', cents: 300 }, { operation: 'owed_settled', cents: 300 }]);
      expect(await f.ledger.balance(o)).toMatchObject({ available_cents: 0, held_cents: 0, owed_cents: 200 });
      // ... and what was spent stays owed until a top-up.
      expect(await f.ledger.placeHold({ orgId: o, holdId: `${o}:2`, amountCents: 0, generationId: 'g' })).toMatchObject({ reason: 'insufficient_balance' });
      await expectHealthy();
    });

    it('a hold captured below its amount while the org owes: the unused part pays the debt first', async () => {
      const o = newOrg();
      await stripeTopup(o, 500, `pi_${o}`);
      await f.ledger.placeHold({ orgId: o, holdId: `${o}:1`, amountCents: 400, generationId: `${o}-g` });
      await reverse(o, 500, `stripe:dispute:dp_${o}:withdrawn`);
      expect(await f.ledger.balance(o)).toMatchObject({ available_cents: 0, held_cents: 400, owed_cents: 400 });
      const c = await f.ledger.capture({ holdId: `${o}:1`, amountCents: 150 });
      expect(c).toMatchObject({ chargedCents: 150, releasedCents: 250, owedCents: 0, balance: { available_cents: 0, owed_cents: 150 } });
      expect(c.moves).toEqual([{ operation: 'capture', cents: 150 }, { operation: 'release', cents: 250 }, { operation: 'owed_settled', cents: 250 }]);
      await expectHealthy();
    });

    it('a dispute won gives back exactly what the withdrawal took: the debt first, then available', async () => {
      const o = newOrg();
      await stripeTopup(o, 500, `pi_${o}`);
      await f.ledger.chargeTokens({ orgId: o, responseId: `${o}-spent`, amountCents: 300, inputTokens: 1, outputTokens: 1 });
      const withdrawn = `stripe:dispute:dp_${o}:withdrawn`;
      expect(await reverse(o, 500, withdrawn)).toMatchObject({ takenCents: 200, owedCents: 300, balance: { available_cents: 0, owed_cents: 300 } });
      // Meanwhile the org pays 100 of its debt.
      await fund(o, 100);
      const back = await reverse(o, 500, `stripe:dispute:dp_${o}:reinstated`, { reinstates: withdrawn });
      expect(back).toMatchObject({ duplicate: false, takenCents: 500, owedCents: 0, balance: { available_cents: 300, owed_cents: 0 } });
      expect(back.moves).toEqual([{ operation: 'topup', cents: 500 }, { operation: 'owed_settled', cents: 200 }]);
      expect(await reverse(o, 500, `stripe:dispute:dp_${o}:reinstated`, { reinstates: withdrawn })).toMatchObject({ duplicate: true, moves: [] });
      // Net: 500 + 100 paid in, 300 spent.
      expect(await f.ledger.balance(o)).toMatchObject({ available_cents: 300, owed_cents: 0 });
      expect(await accountBalance(f.ds, `org:${o}:owed`)).toBe(0);
      await expectHealthy();
    });

    it('a reinstatement with nothing withdrawn (or another amount) does nothing', async () => {
      const o = newOrg();
      await stripeTopup(o, 500, `pi_${o}`);
      expect(await reverse(o, 500, `stripe:dispute:none_${o}:reinstated`, { reinstates: `stripe:dispute:none_${o}:withdrawn` })).toMatchObject({ transactionId: null, moves: [] });
      await reverse(o, 500, `stripe:dispute:dp_${o}:withdrawn`);
      expect(await reverse(o, 400, `stripe:dispute:dp_${o}:reinstated`, { reinstates: `stripe:dispute:dp_${o}:withdrawn` })).toMatchObject({ transactionId: null });
      expect(await f.ledger.balance(o)).toMatchObject({ available_cents: 0, owed_cents: 0 });
    });

    it('running refund totals of one charge are taken once each, the part beyond available owed', async () => {
      const o = newOrg();
      await stripeTopup(o, 1000, `pi_${o}`);
      await f.ledger.chargeTokens({ orgId: o, responseId: `${o}-spent`, amountCents: 700, inputTokens: 1, outputTokens: 1 });
      const refund = (total: number) => reverse(o, total, `stripe:refund:ch_${o}:${total}`, { refundOfCharge: `ch_${o}`, metadata: { stripeRefundCharge: `ch_${o}` } });
      expect(await refund(400)).toMatchObject({ takenCents: 300, owedCents: 100 });
      expect(await refund(1000)).toMatchObject({ takenCents: 0, owedCents: 600, balance: { owed_cents: 700 } });
      expect(await refund(1000)).toMatchObject({ duplicate: true });
      await expectHealthy();
    });
  });

  describe('before orgs could owe: write-offs already booked are still reversed', () => {
    /** Posts a transaction shaped as the earlier code did (write-off entries), with the cache. */
    const legacy = async (orgId: string, key: string, kind: string, amount: number, metadata: object, entries: Array<[string, number]>, gen: string | null = null) =>
      f.ds.transaction(async (m) => {
        const [tx] = await m.query(
          `INSERT INTO ledger_transactions (idempotency_key, kind, org_id, generation_id, amount_cents, metadata) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
          [key, kind, orgId, gen, amount, JSON.stringify(metadata)],
        );
        for (const [code, cents] of entries) {
          await m.query(`INSERT INTO ledger_entries (transaction_id, account_id, amount_cents) SELECT $1, id, $3 FROM accounts WHERE code = $2`, [tx.id, code, cents]);
          if (code.endsWith(':available')) await m.query(`UPDATE org_balances SET available_cents = available_cents + $2 WHERE org_id = $1`, [orgId, cents]);
        }
      });

    it('a refund reverses a written-off shortfall, a dispute won reverses a written-off withdrawal', async () => {
      const o = newOrg();
      await fund(o, 50);
      const w0 = await accountBalance(f.ds, 'platform:writeoff');
      // Token charge of 80 with 50 available: 30 written off.
      await legacy(o, `token_charge:${o}-old`, 'token_charge', 80, { plan: { chargedCents: 50, writtenOffCents: 30 } }, [
        [`org:${o}:available`, -50], ['platform:revenue', 80], ['platform:writeoff', -30],
      ], `${o}-old`);
      expect(await f.ledger.generationCharges(`${o}-old`)).toMatchObject({ revenueCents: 80, writeoffCents: -30, chargedCents: 50 });
      expect(await f.ledger.chargeTokens({ orgId: o, responseId: `${o}-old`, amountCents: 80, inputTokens: 1, outputTokens: 1 })).toMatchObject({
        duplicate: true, chargedCents: 50, writtenOffCents: 30, owedCents: 0,
      });
      expect(await f.ledger.refundGeneration({ generationId: `${o}-old` })).toMatchObject({ refundedCents: 50 });
      expect(await f.ledger.balance(o)).toMatchObject({ available_cents: 50, owed_cents: 0 });
      expect(await accountBalance(f.ds, 'platform:writeoff')).toBe(w0);

      // A dispute withdrawal of 200 with 50 available: 150 written off; winning it gives 50 to the org.
      await legacy(o, `stripe:dispute:dp_${o}:withdrawn`, 'correction', 200, { takenCents: 50, writtenOffCents: 150 }, [
        ['source:stripe', 200], [`org:${o}:available`, -50], ['platform:writeoff', -150],
      ]);
      const back = await f.ledger.reverseTopup({ orgId: o, amountCents: 200, source: 'stripe', key: `stripe:dispute:dp_${o}:reinstated`, reinstates: `stripe:dispute:dp_${o}:withdrawn` });
      expect(back).toMatchObject({ takenCents: 50, balance: { available_cents: 50, owed_cents: 0 } });
      expect(await accountBalance(f.ds, 'platform:writeoff')).toBe(w0);
      await expectHealthy();
    });
  });

  describe('database guarantees', () => {
    it('owed_cents is never negative, an org never both owes and has credits, and the check compares owed with its account', async () => {
      const o = await owing(40);
      await expect(f.ds.query(`UPDATE org_balances SET owed_cents = -1 WHERE org_id = $1`, [o])).rejects.toThrow(/check/i);
      await expect(f.ds.query(`UPDATE org_balances SET available_cents = 5 WHERE org_id = $1`, [o])).rejects.toThrow(/org_balances_owes_or_has/);
      await f.ds.query(`UPDATE org_balances SET owed_cents = owed_cents + 1 WHERE org_id = $1`, [o]);
      expect(await f.ledger.check()).toMatchObject({ balanced: false, cached_mismatches: 1 });
      await f.ds.query(`UPDATE org_balances SET owed_cents = owed_cents - 1 WHERE org_id = $1`, [o]);
      await expectHealthy();
    });

    it('receivables() totals what orgs owe', async () => {
      const before = await f.ledger.receivables();
      const o = await owing(77);
      expect(await f.ledger.receivables()).toEqual({ owedCents: before.owedCents + 77, orgsOwing: before.orgsOwing + 1 });
      await fund(o, 77);
      expect(await f.ledger.receivables()).toEqual(before);
    });
  });

  describe('concurrency', () => {
    it('holds racing a top-up while owing: none is placed before the debt is settled; then exactly what is left is reserved', async () => {
      for (const batched of [true, false]) {
        const ledger = batched ? f.ledger : new Ledger(f.ds, { holdBatchSize: 1 });
        const o = await owing(100);
        const holds = Array.from({ length: 40 }, (_, k) => ledger.placeHold({ orgId: o, holdId: `${o}:${k}`, amountCents: 50, generationId: `${o}-${k}` }));
        const topup = fund(o, 300, 'stripe', `topup:${o}:race`);
        const results = await Promise.all(holds);
        const t = await topup;
        expect(t.repaidCents).toBe(100);
        const placed = results.filter((r) => r.ok);
        // 300 − 100 owed = 200 available: at most 4 holds of 50, however the race went.
        expect(placed.length).toBeLessThanOrEqual(4);
        for (const r of results) if (!r.ok) expect(r.reason).toBe('insufficient_balance');
        // No hold was placed while the org owed: every placed hold saw owed 0.
        for (const r of placed) if (r.ok) expect(r.balance.owed_cents).toBe(0);
        expect(await ledger.balance(o)).toEqual({ owed_cents: 0, held_cents: placed.length * 50, available_cents: 200 - placed.length * 50, balance_cents: 200 });
        // Holds after the race take exactly what is left: 4 in all.
        let more = 0;
        for (let k = 40; k < 46; k++) if ((await ledger.placeHold({ orgId: o, holdId: `${o}:${k}`, amountCents: 50, generationId: `${o}-${k}` })).ok) more++;
        expect(placed.length + more).toBe(4);
        await expectHealthy();
      }
    });

    it('a Stripe reversal racing holds and releases: the org never both owes and has credits, the ledger stays balanced', async () => {
      const o = newOrg();
      await stripeTopup(o, 1000, `pi_${o}`);
      const ops: Promise<unknown>[] = [];
      for (let k = 0; k < 30; k++) {
        ops.push(
          f.ledger.placeHold({ orgId: o, holdId: `${o}:${k}`, amountCents: 40, generationId: `${o}-${k}` }).then(async (r) => {
            if (r.ok && k % 2) await f.ledger.release({ holdId: `${o}:${k}` });
            else if (r.ok) await f.ledger.capture({ holdId: `${o}:${k}`, amountCents: 55 });
          }),
        );
        if (k === 10) ops.push(f.ledger.reverseTopup({ orgId: o, amountCents: 1000, source: 'stripe', key: `stripe:refund:ch_${o}:1000` }));
      }
      await Promise.all(ops);
      const b = await f.ledger.balance(o);
      expect(b.held_cents).toBe(0);
      expect(b.owed_cents === 0 || b.available_cents === 0).toBe(true);
      // Everything the org paid in was taken back, so whatever it captured it owes, and nothing else.
      const [{ s }] = await f.ds.query(`SELECT coalesce(sum(charged_cents), 0) AS s FROM holds WHERE org_id = $1`, [o]);
      expect(b.owed_cents - b.available_cents).toBe(Number(s));
      await expectHealthy();
    });
  });
});

describe('migration 1710000000200 on a ledger with orgs already', () => {
  it('gives every existing org its receivable account and nothing owed', async () => {
    const db = await createTestDatabase('pv_billing_mig');
    try {
      const before = createServiceDataSource({ url: db.url, schema: 'billing', migrations: [CreateLedger1710000000000, StripeReversalIndexes1710000000100], poolSize: 2 });
      await initServiceDataSource(before);
      await before.query(`SELECT ensure_org('org_old')`);
      await before.query(`SELECT * FROM place_holds(ARRAY['org_old'], ARRAY['h0'], ARRAY['g0'], ARRAY[0]::bigint[])`);
      await before.destroy();
      const after = createServiceDataSource({ url: db.url, schema: 'billing', migrations: BILLING_MIGRATIONS, poolSize: 2 });
      await initServiceDataSource(after);
      try {
        const ledger = new Ledger(after);
        expect(await ledger.balance('org_old')).toMatchObject({ owed_cents: 0, available_cents: 0 });
        const [acc] = await after.query(`SELECT a.kind FROM org_balances b JOIN accounts a ON a.id = b.owed_account_id WHERE b.org_id = 'org_old'`);
        expect(acc.kind).toBe('org_receivable');
        expect((await ledger.topup({ orgId: 'org_old', amountCents: 10, source: 'operator', key: 'k' })).balance).toMatchObject({ available_cents: 10 });
        expect(await ledger.check()).toMatchObject({ balanced: true });
        // Its down refuses once a receivable was ever posted; on a ledger without one it restores the
        // earlier schema and functions, and up again works.
        // (The migrations that came after it — ledger grants, key spend limits, BYOK fee — are undone first.)
        for (let i = BILLING_MIGRATIONS.length; i > 2; i--) await after.undoLastMigration({ transaction: 'each' });
        const [cols] = await after.query(`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'billing' AND table_name = 'org_balances' AND column_name LIKE 'owed%'`);
        expect(cols.n).toBe(0);
        expect(await after.query(`SELECT r_outcome FROM place_holds(ARRAY['org_old'], ARRAY['h1'], ARRAY['g1'], ARRAY[5]::bigint[])`)).toEqual([{ r_outcome: 'placed' }]);
        await after.runMigrations({ transaction: 'each' });
        expect(await ledger.balance('org_old')).toMatchObject({ available_cents: 5, held_cents: 5, owed_cents: 0 });
        await ledger.chargeTokens({ orgId: 'org_old', responseId: 'r', amountCents: 20, inputTokens: 1, outputTokens: 1 });
        // The migrations after it (ledger grants, key spend limits, BYOK fee) first.
        for (let i = BILLING_MIGRATIONS.length; i > 3; i--) await after.undoLastMigration({ transaction: 'each' });
        await expect(after.undoLastMigration({ transaction: 'each' })).rejects.toThrow(/cannot revert org receivables/);
        expect(await ledger.check()).toMatchObject({ balanced: true });
      } finally {
        await after.destroy();
      }
    } finally {
      await db.drop();
    }
  });
});
