import { keyLimitWindow } from '@pipevideo/contracts';
import { Ledger, LedgerOptions } from '../src/ledger/ledger';
import { LedgerFixture, ledgerFixture } from './fixture';

/**
 * Key spend limits are enforced by `place_holds`, in the step that holds the money: concurrent holds of
 * one key never take it past its limit, whatever the batching; released holds give the limit back,
 * captured ones count what they charged net of refunds; another key of the same org is not affected.
 */
describe.each<[string, LedgerOptions]>([
  ['unbatched, 20 connections racing', { holdBatchSize: 1, holdBatchesInFlight: 20 }],
  ['batched (default)', {}],
])('key spend limits: %s', (_name, opts) => {
  let f: LedgerFixture;
  beforeAll(async () => {
    f = await ledgerFixture(20);
    f.ledger = new Ledger(f.ds, opts);
  });
  afterAll(async () => {
    await f?.close();
  });

  it('300 concurrent holds against a 100-cent daily limit: exactly 14 of 7 cents are placed; the refusal names the limit and its reset', async () => {
    const org = 'org_limits';
    await f.ledger.topup({ orgId: org, amountCents: 100_000, source: 'operator', key: 'topup:limits' });
    const keyLimit = { limitCents: 100, reset: 'daily' as const };
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => f.ledger.placeHold({ orgId: org, holdId: `g${i}:1`, amountCents: 7, generationId: `g${i}`, keyId: 'key_a', keyLimit })),
    );
    const ok = results.filter((r) => r.ok);
    expect(ok).toHaveLength(14);
    const refused = results.filter((r) => !r.ok);
    expect(refused.every((r) => !r.ok && r.reason === 'key_limit')).toBe(true);
    const reset = keyLimitWindow('daily').resetsAt!.toISOString();
    expect(!refused[0].ok && refused[0].message).toBe(
      `Key spend limit reached: key key_a may spend 100 cents per day; 2 cents are left and this request needs 7 cents; it resets at ${reset}. Raise the key's limit_cents (PATCH /v1/keys/key_a) or use another key`,
    );
    expect(await f.ledger.keySpend(org, [{ keyId: 'key_a', reset: 'daily' }, { keyId: 'key_b', reset: 'none' }])).toEqual([
      { keyId: 'key_a', spentCents: 98, windowStart: keyLimitWindow('daily').start.toISOString(), resetsAt: reset },
      { keyId: 'key_b', spentCents: 0, windowStart: new Date(0).toISOString(), resetsAt: null },
    ]);

    // Another key of the org holds freely; the balance was never the limit.
    expect((await f.ledger.placeHold({ orgId: org, holdId: 'other:1', amountCents: 50, generationId: 'other', keyId: 'key_b' })).ok).toBe(true);

    // A release gives its cents back to the limit; a capture counts what it charged.
    const [released, captured] = ok.map((r) => (r.ok ? r.holdId : ''));
    await f.ledger.release({ holdId: released });
    await f.ledger.capture({ holdId: captured, amountCents: 3 });
    const [spend] = await f.ledger.keySpend(org, [{ keyId: 'key_a', reset: 'daily' }]);
    expect(spend.spentCents).toBe(98 - 7 - 4);
    expect((await f.ledger.placeHold({ orgId: org, holdId: 'late:1', amountCents: 13, generationId: 'late', keyId: 'key_a', keyLimit })).ok).toBe(true);
    expect((await f.ledger.placeHold({ orgId: org, holdId: 'late2:1', amountCents: 1, generationId: 'late2', keyId: 'key_a', keyLimit })).ok).toBe(false);
    expect(await f.ledger.check()).toMatchObject({ balanced: true });
  });

  it("a refunded token charge gives its cents back to the key's limit; tokens charged on a released hold count", async () => {
    const org = 'org_limits_refund';
    await f.ledger.topup({ orgId: org, amountCents: 1_000, source: 'operator', key: 'topup:limits_refund' });
    const keyLimit = { limitCents: 100, reset: 'daily' as const };
    const spent = async () => (await f.ledger.keySpend(org, [{ keyId: 'key_r', reset: 'daily' }]))[0].spentCents;
    // A Responses job: its hold, its tokens charged, then it failed and the charge was refunded.
    expect((await f.ledger.placeHold({ orgId: org, holdId: 'r1:1', amountCents: 80, generationId: 'r1', keyId: 'key_r', keyLimit })).ok).toBe(true);
    await f.ledger.chargeTokens({ orgId: org, responseId: 'r1', holdId: 'r1:1', amountCents: 80, inputTokens: 10, outputTokens: 10 });
    expect(await spent()).toBe(80);
    expect(await f.ledger.refundGeneration({ generationId: 'r1', reason: 'timed out' })).toMatchObject({ refundedCents: 80 });
    expect(await spent()).toBe(0);
    expect((await f.ledger.balance(org)).available_cents).toBe(1_000);
    // A refund replayed changes nothing; the whole limit is free again.
    expect(await f.ledger.refundGeneration({ generationId: 'r1' })).toMatchObject({ duplicate: true });
    expect((await f.ledger.placeHold({ orgId: org, holdId: 'r2:1', amountCents: 80, generationId: 'r2', keyId: 'key_r', keyLimit })).ok).toBe(true);
    // Cancelled, its hold released; the tokens the job used until then are charged after all, and count.
    await f.ledger.release({ holdId: 'r2:1' });
    expect(await spent()).toBe(0);
    await f.ledger.chargeTokens({ orgId: org, responseId: 'r2', holdId: 'r2:1', amountCents: 30, inputTokens: 5, outputTokens: 5 });
    expect(await spent()).toBe(30);
    expect((await f.ledger.placeHold({ orgId: org, holdId: 'r3:1', amountCents: 71, generationId: 'r3', keyId: 'key_r', keyLimit })).ok).toBe(false);
    expect((await f.ledger.placeHold({ orgId: org, holdId: 'r3:1', amountCents: 70, generationId: 'r3', keyId: 'key_r', keyLimit })).ok).toBe(true);
    expect(await f.ledger.check()).toMatchObject({ balanced: true });
  });
});

describe('key limit windows (UTC calendar periods)', () => {
  const at = new Date('2026-03-18T15:04:05Z'); // a Wednesday
  it.each([
    ['daily', '2026-03-18T00:00:00.000Z', '2026-03-19T00:00:00.000Z'],
    ['weekly', '2026-03-16T00:00:00.000Z', '2026-03-23T00:00:00.000Z'],
    ['monthly', '2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z'],
    ['none', '1970-01-01T00:00:00.000Z', null],
  ] as const)('%s', (reset, start, resetsAt) => {
    const w = keyLimitWindow(reset, at);
    expect([w.start.toISOString(), w.resetsAt?.toISOString() ?? null]).toEqual([start, resetsAt]);
  });
  it('weekly on a Sunday and a Monday', () => {
    expect(keyLimitWindow('weekly', new Date('2026-03-22T23:59:59Z')).start.toISOString()).toBe('2026-03-16T00:00:00.000Z');
    expect(keyLimitWindow('weekly', new Date('2026-03-23T00:00:00Z')).start.toISOString()).toBe('2026-03-23T00:00:00.000Z');
  });
});
