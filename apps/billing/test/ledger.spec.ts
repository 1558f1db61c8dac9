import { DomainError } from '@pipevideo/contracts';
import { accountBalance, LedgerFixture, ledgerFixture } from './fixture';

describe('Ledger (real PostgreSQL)', () => {
  let f: LedgerFixture;
  beforeAll(async () => {
    f = await ledgerFixture();
  });
  afterAll(async () => {
    await f?.close();
  });

  const expectHealthy = async () => expect(await f.ledger.check()).toMatchObject({ balanced: true, imbalance_cents: 0 });

  describe('top-up', () => {
    it('credits the available balance from a source account, once per key', async () => {
      const first = await f.ledger.topup({ orgId: 'org_t', amountCents: 1000, source: 'operator', key: 'topup:org_t:k1' });
      expect(first).toMatchObject({ duplicate: false, balance: { balance_cents: 1000, held_cents: 0, available_cents: 1000 } });
      expect(first.moves).toEqual([{ operation: 'topup', cents: 1000 }]);
      const again = await f.ledger.topup({ orgId: 'org_t', amountCents: 1000, source: 'operator', key: 'topup:org_t:k1' });
      expect(again).toMatchObject({ duplicate: true, transactionId: first.transactionId, balance: { available_cents: 1000 }, moves: [] });
      expect(await accountBalance(f.ds, 'source:operator')).toBe(-1000);
      await expectHealthy();
    });

    it('refuses a reused key with another amount (CONFLICT) and non-positive amounts', async () => {
      await expect(f.ledger.topup({ orgId: 'org_t', amountCents: 5, source: 'operator', key: 'topup:org_t:k1' })).rejects.toMatchObject({ code: 'CONFLICT' });
      await expect(f.ledger.topup({ orgId: 'org_t', amountCents: 0, source: 'operator', key: 'topup:org_t:k0' })).rejects.toBeInstanceOf(DomainError);
    });

    it('concurrent top-ups with one key credit once', async () => {
      const rs = await Promise.all(
        Array.from({ length: 10 }, () => f.ledger.topup({ orgId: 'org_tc', amountCents: 300, source: 'sandbox', key: 'topup:org_tc:same' })),
      );
      expect(rs.filter((r) => !r.duplicate)).toHaveLength(1);
      expect(await f.ledger.balance('org_tc')).toMatchObject({ available_cents: 300 });
    });
  });

  describe('holds', () => {
    beforeAll(async () => {
      await f.ledger.topup({ orgId: 'org_h', amountCents: 500, source: 'operator', key: 'topup:org_h:1' });
    });

    it('reserves against the available balance and answers a replay identically', async () => {
      const r = await f.ledger.placeHold({ orgId: 'org_h', holdId: 'g1:1', amountCents: 200, generationId: 'g1' });
      expect(r).toMatchObject({ ok: true, duplicate: false, holdId: 'g1:1', amountCents: 200, balance: { balance_cents: 500, held_cents: 200, available_cents: 300 } });
      const again = await f.ledger.placeHold({ orgId: 'org_h', holdId: 'g1:1', amountCents: 200, generationId: 'g1' });
      expect(again).toMatchObject({ ok: true, duplicate: true, amountCents: 200, balance: { held_cents: 200, available_cents: 300 } });
      await expectHealthy();
    });

    it('refuses more than available with "Insufficient balance", and a mismatched replay as conflict', async () => {
      const r = await f.ledger.placeHold({ orgId: 'org_h', holdId: 'g2:1', amountCents: 301, generationId: 'g2' });
      expect(r).toMatchObject({ ok: false, reason: 'insufficient_balance' });
      expect(r.ok ? '' : r.message).toMatch(/^Insufficient balance/);
      expect(await f.ledger.placeHold({ orgId: 'org_h', holdId: 'g1:1', amountCents: 999, generationId: 'g1' })).toMatchObject({ ok: false, reason: 'conflict' });
      expect(await f.ledger.placeHold({ orgId: 'org_other', holdId: 'g1:1', amountCents: 200, generationId: 'g1' })).toMatchObject({ ok: false, reason: 'conflict' });
      expect(await f.ledger.placeHold({ orgId: 'org_nobody', holdId: 'gx:1', amountCents: 1, generationId: 'gx' })).toMatchObject({
        ok: false, reason: 'insufficient_balance', balance: { available_cents: 0 },
      });
    });

    it('a zero hold succeeds even for an org that never topped up', async () => {
      expect(await f.ledger.placeHold({ orgId: 'org_zero', holdId: 'z:1', amountCents: 0, generationId: 'z' })).toMatchObject({ ok: true, amountCents: 0 });
      expect((await f.ledger.release({ holdId: 'z:1' })).outcome).toBe('released');
    });

    it('release returns the hold to available, once; releasing again is a no-op', async () => {
      await f.ledger.placeHold({ orgId: 'org_h', holdId: 'g3:1', amountCents: 100, generationId: 'g3' });
      expect(await f.ledger.balance('org_h')).toMatchObject({ held_cents: 300, available_cents: 200 });
      const r = await f.ledger.release({ holdId: 'g3:1', reason: 'fallback' });
      expect(r).toMatchObject({ outcome: 'released', releasedCents: 100, moves: [{ operation: 'release', cents: 100 }] });
      expect(await f.ledger.release({ holdId: 'g3:1' })).toMatchObject({ outcome: 'not_open', moves: [] });
      expect(await f.ledger.balance('org_h')).toMatchObject({ held_cents: 200, available_cents: 300 });
      await expectHealthy();
    });

    it('a release that arrives before its hold leaves a tombstone: the late placement is refused', async () => {
      expect(await f.ledger.release({ holdId: 'late:1', orgId: 'org_h' })).toMatchObject({ outcome: 'tombstone' });
      expect(await f.ledger.placeHold({ orgId: 'org_h', holdId: 'late:1', amountCents: 10, generationId: 'late' })).toMatchObject({
        ok: false, reason: 'already_settled',
      });
      expect(await f.ledger.balance('org_h')).toMatchObject({ held_cents: 200, available_cents: 300 });
      expect(await f.ledger.release({ holdId: 'nobody-knows' })).toMatchObject({ outcome: 'unknown' });
    });
  });

  describe('capture policy', () => {
    let n = 0;
    const org = () => `org_c${++n}`;
    const setup = async (available: number, held: number) => {
      const o = org();
      await f.ledger.topup({ orgId: o, amountCents: available + held, source: 'operator', key: `topup:${o}` });
      await f.ledger.placeHold({ orgId: o, holdId: `${o}:h`, amountCents: held, generationId: `${o}-gen` });
      return o;
    };

    it('actual < held: charges the actual, releases the rest; capturing again changes nothing', async () => {
      const o = await setup(0, 100);
      const revenue0 = await accountBalance(f.ds, 'platform:revenue');
      const r = await f.ledger.capture({ holdId: `${o}:h`, amountCents: 60 });
      expect(r).toMatchObject({ outcome: 'settled', chargedCents: 60, releasedCents: 40, writtenOffCents: 0, balance: { available_cents: 40, held_cents: 0 } });
      expect(r.moves).toEqual([{ operation: 'capture', cents: 60 }, { operation: 'release', cents: 40 }]);
      const again = await f.ledger.capture({ holdId: `${o}:h`, amountCents: 60 });
      expect(again).toMatchObject({ outcome: 'duplicate', chargedCents: 60, moves: [], balance: { available_cents: 40 } });
      expect(await accountBalance(f.ds, 'platform:revenue')).toBe(revenue0 + 60);
      expect(await f.ledger.holdStatus(`${o}:h`)).toBe('captured');
      await expectHealthy();
    });

    it('actual > held with enough available: the excess comes from available', async () => {
      const o = await setup(50, 100);
      const r = await f.ledger.capture({ holdId: `${o}:h`, amountCents: 130 });
      expect(r).toMatchObject({ chargedCents: 130, writtenOffCents: 0, balance: { available_cents: 20, held_cents: 0 } });
      await expectHealthy();
    });

    it('actual > held + available: available goes to 0 (never negative), the org owes the shortfall (nothing written off)', async () => {
      const o = await setup(50, 100);
      const w0 = await accountBalance(f.ds, 'platform:writeoff');
      const revenue0 = await accountBalance(f.ds, 'platform:revenue');
      const r = await f.ledger.capture({ holdId: `${o}:h`, amountCents: 180 });
      expect(r).toMatchObject({ chargedCents: 180, owedCents: 30, writtenOffCents: 0, balance: { available_cents: 0, held_cents: 0, owed_cents: 30 } });
      expect(r.moves).toEqual([{ operation: 'capture', cents: 180 }, { operation: 'owed', cents: 30 }]);
      expect(await accountBalance(f.ds, 'platform:writeoff')).toBe(w0);
      expect(await accountBalance(f.ds, 'platform:revenue')).toBe(revenue0 + 180);
      expect(await accountBalance(f.ds, `org:${o}:owed`)).toBe(-30);
      expect(await f.ledger.generationCharges(`${o}-gen`)).toMatchObject({ chargedCents: 180, writeoffCents: 0 });
      await expectHealthy();
    });

    it('capturing a released hold charges available (the job did succeed); an unknown hold needs an org', async () => {
      const o = await setup(100, 40);
      await f.ledger.release({ holdId: `${o}:h` });
      const r = await f.ledger.capture({ holdId: `${o}:h`, amountCents: 30 });
      expect(r).toMatchObject({ chargedCents: 30, balance: { available_cents: 110 } });
      expect(await f.ledger.capture({ holdId: `${o}:h`, amountCents: 30 })).toMatchObject({ outcome: 'duplicate', moves: [] });
      await expect(f.ledger.capture({ holdId: 'never-placed', amountCents: 5 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const u = await f.ledger.capture({ holdId: 'never-placed', amountCents: 5, orgId: o });
      expect(u).toMatchObject({ chargedCents: 5, balance: { available_cents: 105 } });
      expect(await f.ledger.placeHold({ orgId: o, holdId: 'never-placed', amountCents: 5, generationId: 'x' })).toMatchObject({ reason: 'already_settled' });
      await expectHealthy();
    });
  });

  describe('token charge and refund (Responses API)', () => {
    it('captures the hold at the token cost, idempotent by responseId, refundable once', async () => {
      await f.ledger.topup({ orgId: 'org_r', amountCents: 1000, source: 'operator', key: 'topup:org_r' });
      await f.ledger.placeHold({ orgId: 'org_r', holdId: 'resp_1:1', amountCents: 300, generationId: 'resp_1' });
      const input = { orgId: 'org_r', responseId: 'resp_1', holdId: 'resp_1:1', amountCents: 120, inputTokens: 1000, outputTokens: 2000 };
      const r = await f.ledger.chargeTokens(input);
      expect(r).toMatchObject({ duplicate: false, generationId: 'resp_1', chargedCents: 120, releasedCents: 180, balance: { available_cents: 880, held_cents: 0 } });
      expect(r.moves).toEqual([{ operation: 'token_charge', cents: 120 }, { operation: 'release', cents: 180 }]);
      expect(await f.ledger.chargeTokens(input)).toMatchObject({ duplicate: true, chargedCents: 120, moves: [], balance: { available_cents: 880 } });
      expect(await f.ledger.hasTokenCharge('resp_1')).toBe(true);
      // generation.finished (succeeded) after the token charge must not capture again.
      expect(await f.ledger.capture({ holdId: 'resp_1:1', amountCents: 120 })).toMatchObject({ outcome: 'already_captured', moves: [] });
      expect(await f.ledger.generationCharges('resp_1')).toMatchObject({ chargedCents: 120, inputTokens: 1000, outputTokens: 2000 });

      const refund = await f.ledger.refundGeneration({ generationId: 'resp_1' });
      expect(refund).toMatchObject({ refundedCents: 120, duplicate: false, moves: [{ operation: 'refund', cents: 120 }] });
      expect(await f.ledger.refundGeneration({ generationId: 'resp_1' })).toMatchObject({ refundedCents: 0, duplicate: true });
      expect(await f.ledger.balance('org_r')).toMatchObject({ available_cents: 1000, held_cents: 0 });
      expect(await f.ledger.generationCharges('resp_1')).toMatchObject({ chargedCents: 0 });
      await expectHealthy();
    });

    it('without a hold it charges available, the rest is owed; a refund cancels what is owed first, then gives back the rest', async () => {
      await f.ledger.topup({ orgId: 'org_r2', amountCents: 50, source: 'operator', key: 'topup:org_r2' });
      const w0 = await accountBalance(f.ds, 'platform:writeoff');
      const r = await f.ledger.chargeTokens({ orgId: 'org_r2', responseId: 'resp_2', amountCents: 80, inputTokens: 1, outputTokens: 2 });
      expect(r).toMatchObject({ chargedCents: 80, owedCents: 30, writtenOffCents: 0, balance: { available_cents: 0, owed_cents: 30 } });
      const refund = await f.ledger.refundGeneration({ generationId: 'resp_2' });
      expect(refund).toMatchObject({ refundedCents: 80, moves: [{ operation: 'refund', cents: 80 }, { operation: 'owed_settled', cents: 30 }] });
      expect(await f.ledger.balance('org_r2')).toMatchObject({ available_cents: 50, owed_cents: 0 });
      expect(await accountBalance(f.ds, 'platform:writeoff')).toBe(w0);
      expect(await f.ledger.refundGeneration({ generationId: 'never-charged' })).toMatchObject({ refundedCents: 0 });
      await expectHealthy();
    });

    it('a token charge after its hold was released (usage arriving after a cancel) is charged from available', async () => {
      await f.ledger.topup({ orgId: 'org_r4', amountCents: 500, source: 'operator', key: 'topup:org_r4' });
      await f.ledger.placeHold({ orgId: 'org_r4', holdId: 'resp_4:1', amountCents: 300, generationId: 'resp_4' });
      await f.ledger.release({ holdId: 'resp_4:1', orgId: 'org_r4', reason: 'cancelled by the customer' });
      const r = await f.ledger.chargeTokens({ orgId: 'org_r4', responseId: 'resp_4', holdId: 'resp_4:1', amountCents: 70, inputTokens: 900, outputTokens: 100 });
      expect(r).toMatchObject({ duplicate: false, chargedCents: 70, writtenOffCents: 0, releasedCents: 0, balance: { available_cents: 430, held_cents: 0 } });
      expect(await f.ledger.balance('org_r4')).toMatchObject({ balance_cents: 430, available_cents: 430, held_cents: 0 });
      await expectHealthy();
    });

    it('a token charge that arrives after its failed generation was refunded costs nothing (a timed-out call committing late)', async () => {
      await f.ledger.topup({ orgId: 'org_r5', amountCents: 500, source: 'operator', key: 'topup:org_r5' });
      await f.ledger.placeHold({ orgId: 'org_r5', holdId: 'resp_5:1', amountCents: 300, generationId: 'resp_5' });
      // generation.finished (failed): the hold is released, the refund finds nothing charged yet.
      await f.ledger.release({ holdId: 'resp_5:1', orgId: 'org_r5', reason: 'generation failed' });
      expect(await f.ledger.refundGeneration({ generationId: 'resp_5' })).toMatchObject({ refundedCents: 0, duplicate: false, moves: [] });
      const late = await f.ledger.chargeTokens({ orgId: 'org_r5', responseId: 'resp_5', holdId: 'resp_5:1', amountCents: 70, inputTokens: 900, outputTokens: 100 });
      expect(late).toMatchObject({ duplicate: true, chargedCents: 0, moves: [] });
      expect(await f.ledger.balance('org_r5')).toMatchObject({ balance_cents: 500, available_cents: 500, held_cents: 0 });
      expect(await f.ledger.generationCharges('resp_5')).toMatchObject({ chargedCents: 0 });
      expect(await f.ledger.refundGeneration({ generationId: 'resp_5' })).toMatchObject({ refundedCents: 0, duplicate: true });
      await expectHealthy();
    });

    it('a released hold charged once after all (capture or token charge) is never charged a second time by the other', async () => {
      await f.ledger.topup({ orgId: 'org_r6', amountCents: 1000, source: 'operator', key: 'topup:org_r6' });
      for (const [n, first] of [[1, 'capture'], [2, 'token']] as const) {
        const holdId = `resp_6${n}:1`;
        await f.ledger.placeHold({ orgId: 'org_r6', holdId, amountCents: 300, generationId: `resp_6${n}` });
        await f.ledger.release({ holdId, orgId: 'org_r6', reason: 'abandoned' });
        const capture = () => f.ledger.capture({ holdId, amountCents: 100, orgId: 'org_r6' });
        const token = () => f.ledger.chargeTokens({ orgId: 'org_r6', responseId: `resp_6${n}`, holdId, amountCents: 100, inputTokens: 1, outputTokens: 1 });
        const [a, b] = first === 'capture' ? [capture, token] : [token, capture];
        expect(await a()).toMatchObject({ chargedCents: 100 });
        expect(await b()).toMatchObject({ moves: [] });
      }
      expect(await f.ledger.balance('org_r6')).toMatchObject({ balance_cents: 800, available_cents: 800, held_cents: 0 });
      await expectHealthy();
    });

    it('refuses a token charge against another org\'s hold', async () => {
      await f.ledger.topup({ orgId: 'org_r3', amountCents: 50, source: 'operator', key: 'topup:org_r3' });
      await f.ledger.placeHold({ orgId: 'org_r3', holdId: 'resp_3:1', amountCents: 10, generationId: 'resp_3' });
      await expect(
        f.ledger.chargeTokens({ orgId: 'org_evil', responseId: 'resp_3', holdId: 'resp_3:1', amountCents: 1, inputTokens: 0, outputTokens: 0 }),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
    });
  });

  describe('database guarantees', () => {
    it('ledger entries and transactions cannot be updated, deleted or truncated', async () => {
      for (const t of ['ledger_entries', 'ledger_transactions']) {
        await expect(f.ds.query(`UPDATE ${t} SET created_at = now()`)).rejects.toThrow(/append-only/);
        await expect(f.ds.query(`DELETE FROM ${t}`)).rejects.toThrow(/append-only/);
        await expect(f.ds.query(`TRUNCATE ${t} CASCADE`)).rejects.toThrow(/append-only/);
      }
    });

    it('an unbalanced transaction is refused at commit, and so is a negative available balance', async () => {
      await expect(
        f.ds.transaction(async (m) => {
          const [tx] = await m.query(`INSERT INTO ledger_transactions (idempotency_key, kind) VALUES ('bad', 'correction') RETURNING id`);
          const [acc] = await m.query(`SELECT id FROM accounts WHERE code = 'platform:revenue'`);
          await m.query(`INSERT INTO ledger_entries (transaction_id, account_id, amount_cents) VALUES ($1, $2, 5)`, [tx.id, acc.id]);
        }),
      ).rejects.toThrow(/unbalanced/);
      await expect(f.ds.query(`UPDATE org_balances SET available_cents = -1 WHERE org_id = 'org_h'`)).rejects.toThrow(/check/i);
      await expectHealthy();
    });

    it('the check notices a cached balance that drifted from the entries', async () => {
      await f.ds.query(`UPDATE org_balances SET available_cents = available_cents + 1 WHERE org_id = 'org_h'`);
      expect(await f.ledger.check()).toMatchObject({ balanced: false, cached_mismatches: 1, transactions_unbalanced: 0 });
      await f.ds.query(`UPDATE org_balances SET available_cents = available_cents - 1 WHERE org_id = 'org_h'`);
      await expectHealthy();
    });
  });
});
