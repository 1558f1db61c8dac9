import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';
import { EVENTS, GenerationFinishedEvt, HoldReleaseRequestedEvt, RPC } from '@pipevideo/contracts';
import {
  createInProcessWiring, createTestDatabase, InProcessWiring, NATS_TEST_URL, requireNats, RpcClient, TestDatabase,
} from '@pipevideo/platform';
import { RunningBillingService, startBillingService } from '../src';
import { startPrivateNats } from '../bench/private-nats';
import { StripeStandIn } from '@pipevideo/sandboxes';

const WEBHOOK_SECRET = 'whsec_test_secret';
const signer = new Stripe('sk_test_signer');

function stripeEvent(id: string, type: string, session: Record<string, unknown>) {
  const payload = JSON.stringify({ id, object: 'event', type, api_version: '2025-01-01', created: 1, data: { object: { object: 'checkout.session', ...session } } });
  return { payload, signature: signer.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }) };
}

function finished(p: Partial<GenerationFinishedEvt> & Pick<GenerationFinishedEvt, 'generationId' | 'orgId' | 'succeeded'>): GenerationFinishedEvt {
  return {
    v: 1,
    eventId: randomUUID(),
    api: 'video',
    status: p.succeeded ? 'completed' : 'failed',
    model: 'acme/video-1',
    provider: 'fal',
    holdId: null,
    costCents: 0,
    keepTokenCharge: false,
    outputUrl: null,
    errorMessage: null,
    finishedAt: new Date().toISOString(),
    ...p,
  };
}

describe('billing service over the in-process transport', () => {
  let db: TestDatabase;
  let wiring: InProcessWiring;
  let svc: RunningBillingService;
  let rpc: RpcClient;
  const stand = new StripeStandIn();

  const publish = (subject: string, evt: { eventId: string }) => wiring.events.publish(subject, evt.eventId, JSON.stringify(evt));
  const balance = (orgId: string) => rpc.request(RPC.billing.balanceGet, { orgId });

  beforeAll(async () => {
    db = await createTestDatabase('pv_billing_svc');
    wiring = createInProcessWiring();
    const apiBase = await stand.start();
    svc = await startBillingService({
      messaging: { kind: 'inprocess', wiring },
      databaseUrl: db.url,
      port: 0,
      stripe: { secretKey: 'sk_test_billing', webhookSecret: WEBHOOK_SECRET, apiBase, successUrl: 'https://app.example/ok', cancelUrl: 'https://app.example/no' },
    });
    rpc = svc.ctx.messaging.rpc;
  }, 30_000);

  afterAll(async () => {
    await svc?.close();
    await stand.stop();
    await db?.drop();
  });

  it('top-up, balance and holds: idempotent, a refusal for lack of funds is the typed `insufficient` reply', async () => {
    const t = await rpc.request(RPC.billing.topupCreate, { orgId: 'org_a', amountCents: 1000, idempotencyKey: 'k1', source: 'operator' });
    expect(t).toEqual({ transactionId: expect.any(String), duplicate: false, balance: { balance_cents: 1000, held_cents: 0, available_cents: 1000, owed_cents: 0 } });
    const t2 = await rpc.request(RPC.billing.topupCreate, { orgId: 'org_a', amountCents: 1000, idempotencyKey: 'k1', source: 'operator' });
    expect(t2).toMatchObject({ transactionId: t.transactionId, duplicate: true });
    await expect(rpc.request(RPC.billing.topupCreate, { orgId: 'org_a', amountCents: 1, idempotencyKey: 'k2', source: 'bank' } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await balance('org_a')).toEqual({ balance_cents: 1000, held_cents: 0, available_cents: 1000, owed_cents: 0 });
    expect(await balance('org_nobody')).toEqual({ balance_cents: 0, held_cents: 0, available_cents: 0, owed_cents: 0 });

    const hold = { orgId: 'org_a', holdId: 'gv1:1', amountCents: 300, generationId: 'gv1' };
    const h = await rpc.request(RPC.billing.holdPlace, hold);
    expect(h).toEqual({ outcome: 'placed', holdId: 'gv1:1', amountCents: 300, balance: { balance_cents: 1000, held_cents: 300, available_cents: 700, owed_cents: 0 } });
    expect(await rpc.request(RPC.billing.holdPlace, hold)).toEqual(h);
    const refused = await rpc.request(RPC.billing.holdPlace, { ...hold, holdId: 'gv9:1', amountCents: 701 });
    expect(refused).toMatchObject({ outcome: 'insufficient', availableCents: 700, owedCents: 0, message: expect.stringMatching(/^Insufficient balance/) });
    await expect(rpc.request(RPC.billing.holdPlace, { ...hold, amountCents: 5 })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(rpc.request(RPC.billing.holdPlace, { orgId: 'org_a', holdId: '', amountCents: -1 } as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('hold.release_requested releases once; generation.finished captures once (redeliveries change nothing)', async () => {
    await rpc.request(RPC.billing.holdPlace, { orgId: 'org_a', holdId: 'gv1:0', amountCents: 100, generationId: 'gv1' });
    expect(await balance('org_a')).toMatchObject({ held_cents: 400, available_cents: 600 });
    const rel: HoldReleaseRequestedEvt = { v: 1, eventId: randomUUID(), orgId: 'org_a', holdId: 'gv1:0', reason: 'fallback to next route' };
    await publish(EVENTS.holdReleaseRequested, rel);
    await publish(EVENTS.holdReleaseRequested, rel);
    await publish(EVENTS.holdReleaseRequested, { ...rel, eventId: randomUUID() });
    expect(await balance('org_a')).toMatchObject({ held_cents: 300, available_cents: 700 });

    const done = finished({ generationId: 'gv1', orgId: 'org_a', succeeded: true, holdId: 'gv1:1', costCents: 250, appTitle: 'My App' });
    await publish(EVENTS.generationFinished, done);
    await publish(EVENTS.generationFinished, done);
    await publish(EVENTS.generationFinished, { ...done, eventId: randomUUID() });
    expect(await balance('org_a')).toEqual({ balance_cents: 750, held_cents: 0, available_cents: 750, owed_cents: 0 });

    // A failed video generation: hold released, nothing charged.
    await rpc.request(RPC.billing.holdPlace, { orgId: 'org_a', holdId: 'gv2:1', amountCents: 200, generationId: 'gv2' });
    await publish(EVENTS.generationFinished, finished({ generationId: 'gv2', orgId: 'org_a', succeeded: false, holdId: 'gv2:1', errorMessage: 'Provider returned failure' }));
    expect(await balance('org_a')).toMatchObject({ balance_cents: 750, held_cents: 0 });

    // Malformed events are dropped, not retried forever.
    await wiring.events.publish(EVENTS.generationFinished, 'junk-1', '{"eventId":"junk-1"}');
    await wiring.events.publish(EVENTS.generationFinished, 'junk-2', 'not json');
  });

  it('billing.hold.release releases a fallback\'s closed attempt at once; its hold.release_requested event then changes nothing', async () => {
    await rpc.request(RPC.billing.topupCreate, { orgId: 'org_rel', amountCents: 500, idempotencyKey: 'rel', source: 'operator' });
    await rpc.request(RPC.billing.holdPlace, { orgId: 'org_rel', holdId: 'gr:1', amountCents: 300, generationId: 'gr' });
    expect(await rpc.request(RPC.billing.holdRelease, { orgId: 'org_rel', holdId: 'gr:1', reason: 'failed' })).toEqual({ released: true });
    expect(await balance('org_rel')).toEqual({ balance_cents: 500, held_cents: 0, available_cents: 500, owed_cents: 0 });
    // The next route's hold fits now; the router's event for the same release (named as the router names it) is a no-op.
    await rpc.request(RPC.billing.holdPlace, { orgId: 'org_rel', holdId: 'gr:2', amountCents: 400, generationId: 'gr' });
    const event: HoldReleaseRequestedEvt = { v: 1, eventId: 'release:gr:1', orgId: 'org_rel', holdId: 'gr:1', reason: 'failed' };
    await publish(EVENTS.holdReleaseRequested, event);
    expect(await rpc.request(RPC.billing.holdRelease, { orgId: 'org_rel', holdId: 'gr:1', reason: 'failed' })).toEqual({ released: false });
    expect(await balance('org_rel')).toEqual({ balance_cents: 500, held_cents: 400, available_cents: 100, owed_cents: 0 });
    await expect(rpc.request(RPC.billing.holdRelease, { orgId: 'org_rel', holdId: '', reason: 'failed' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await rpc.request(RPC.billing.holdRelease, { orgId: 'org_rel', holdId: 'gr:2', reason: 'cancelled' })).toEqual({ released: true });
    // Nothing open to release (a hold never placed: its tombstone refuses a late placement): not `released`.
    expect(await rpc.request(RPC.billing.holdRelease, { orgId: 'org_rel', holdId: 'gr:3', reason: 'abandoned' })).toEqual({ released: false });
    expect((await rpc.request(RPC.billing.holdPlace, { orgId: 'org_rel', holdId: 'gr:3', amountCents: 1, generationId: 'gr' }).catch((e) => e)).code).toBe('CONFLICT');
    expect(await rpc.request(RPC.billing.ledgerCheck, {})).toMatchObject({ balanced: true });
  });

  it('Responses API: token charge captures the hold once; a failed job is refunded; a succeeded one is not charged twice', async () => {
    await rpc.request(RPC.billing.topupCreate, { orgId: 'org_r', amountCents: 1000, idempotencyKey: 'k', source: 'sandbox' });
    await rpc.request(RPC.billing.holdPlace, { orgId: 'org_r', holdId: 'resp_1:1', amountCents: 300, generationId: 'resp_1' });
    const charge = { orgId: 'org_r', responseId: 'resp_1', holdId: 'resp_1:1', amountCents: 80, inputTokens: 1200, outputTokens: 3400 };
    const c = await rpc.request(RPC.billing.tokenCharge, charge);
    expect(c).toEqual({
      responseId: 'resp_1', holdId: 'resp_1:1', chargedCents: 80, writtenOffCents: 0, releasedCents: 220, duplicate: false,
      balance: { balance_cents: 920, held_cents: 0, available_cents: 920, owed_cents: 0 },
    });
    expect(await rpc.request(RPC.billing.tokenCharge, charge)).toMatchObject({ duplicate: true, chargedCents: 80, balance: { available_cents: 920 } });
    await publish(EVENTS.generationFinished, finished({ api: 'responses', generationId: 'resp_1', orgId: 'org_r', succeeded: false, status: 'failed', holdId: 'resp_1:1', model: 'moonshotai/kimi-k2.5', provider: 'framerate' }));
    expect(await balance('org_r')).toMatchObject({ available_cents: 1000, held_cents: 0 });

    await rpc.request(RPC.billing.holdPlace, { orgId: 'org_r', holdId: 'resp_2:1', amountCents: 300, generationId: 'resp_2' });
    await rpc.request(RPC.billing.tokenCharge, { ...charge, responseId: 'resp_2', holdId: 'resp_2:1', amountCents: 90 });
    await publish(EVENTS.generationFinished, finished({ api: 'responses', generationId: 'resp_2', orgId: 'org_r', succeeded: true, status: 'completed', holdId: 'resp_2:1', costCents: 90, model: 'moonshotai/kimi-k2.5', provider: 'framerate' }));
    expect(await balance('org_r')).toMatchObject({ available_cents: 910, held_cents: 0 });

    // A finished event without any hold only records usage.
    await publish(EVENTS.generationFinished, finished({ generationId: 'gv_nohold', orgId: 'org_r', succeeded: true, costCents: 40 }));
    expect(await balance('org_r')).toMatchObject({ available_cents: 910 });
  });

  it('usage.list: newest first, keyset pages, totals, net cost and tokens', async () => {
    // A Responses job still running shows its model; an internal route's provider shows by its public name.
    await rpc.request(RPC.billing.topupCreate, { orgId: 'org_u', amountCents: 1000, idempotencyKey: 'k', source: 'sandbox' });
    await rpc.request(RPC.billing.holdPlace, { orgId: 'org_u', holdId: 'resp_run:1', amountCents: 100, generationId: 'resp_run' });
    await rpc.request(RPC.billing.tokenCharge, { orgId: 'org_u', responseId: 'resp_run', holdId: 'resp_run:1', amountCents: 30, inputTokens: 10, outputTokens: 20, model: 'moonshotai/kimi-k2.5' });
    await publish(EVENTS.generationFinished, finished({ generationId: 'gv_internal', orgId: 'org_u', succeeded: true, costCents: 0, provider: 'vercel-gateway', model: 'google/veo-3.1' }));
    const u = await rpc.request(RPC.billing.usageList, { orgId: 'org_u' });
    expect(u).toMatchObject({ object: 'list', has_more: false, next_cursor: null });
    const uById = Object.fromEntries(u.data.map((x: any) => [x.id, x]));
    expect(uById.gv_internal).toMatchObject({ provider: 'pipevideo', completed_at: expect.any(Number) });
    expect(uById.resp_run).toMatchObject({ api: 'responses', status: 'in_progress', model: 'moonshotai/kimi-k2.5', cost_cents: 30, completed_at: null });
    expect(JSON.stringify(u)).not.toContain('vercel-gateway');

    const all: any[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await rpc.request(RPC.billing.usageList, { orgId: 'org_r', limit: 2, ...(cursor ? { cursor } : {}) });
      expect(page).toMatchObject({ object: 'list', has_more: page.next_cursor !== null });
      expect(page.balance).toEqual({ balance_cents: 910, held_cents: 0, available_cents: 910, owed_cents: 0 });
      all.push(...page.data);
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(all.map((u) => u.id).sort()).toEqual(['gv_nohold', 'resp_1', 'resp_2']);
    expect(pages).toBe(2);
    const times = all.map((u) => u.created_at);
    expect(times.every((t) => Number.isInteger(t) && t > 1_600_000_000 && t < Date.now() / 1000 + 5)).toBe(true); // unix seconds
    expect([...times].sort((x, y) => y - x)).toEqual(times);
    const byId = Object.fromEntries(all.map((u) => [u.id, u]));
    expect(byId.resp_1).toMatchObject({ api: 'responses', status: 'failed', cost_cents: 0, input_tokens: 1200, output_tokens: 3400, model: 'moonshotai/kimi-k2.5', provider: 'framerate' });
    expect(byId.resp_2).toMatchObject({ api: 'responses', status: 'completed', cost_cents: 90, input_tokens: 1200 });
    expect(byId.gv_nohold).toMatchObject({ api: 'video', status: 'completed', cost_cents: 0 });
    expect(byId.gv_nohold.input_tokens).toBeNull();

    const a = await rpc.request(RPC.billing.usageList, { orgId: 'org_a' });
    expect(a.data.map((u: any) => [u.id, u.status, u.cost_cents, u.app_title])).toEqual(
      expect.arrayContaining([['gv1', 'completed', 250, 'My App'], ['gv2', 'failed', 0, null]]),
    );
    const today = new Date().toISOString().slice(0, 10);
    expect(a.totals.per_day).toEqual([{ day: today, count: 2, cost_cents: 250 }]);
    expect(a.totals.per_model).toEqual([{ model: 'acme/video-1', count: 2, cost_cents: 250 }]);
    expect(a.next_cursor).toBeNull();
    const past = await rpc.request(RPC.billing.usageList, { orgId: 'org_a', from: '2020-01-01', to: '2020-12-31' });
    expect(past).toMatchObject({ data: [], next_cursor: null, totals: { per_day: [], per_model: [] } });
    // Filters narrow the rows and the totals alike, and page on the filtered rows.
    const failed = await rpc.request(RPC.billing.usageList, { orgId: 'org_a', status: 'failed' });
    expect(failed.data.map((u: any) => u.id)).toEqual(['gv2']);
    expect(failed.totals.per_model).toEqual([{ model: 'acme/video-1', count: 1, cost_cents: 0 }]);
    expect((await rpc.request(RPC.billing.usageList, { orgId: 'org_r', api: 'responses' })).data.map((u: any) => u.id).sort()).toEqual(['resp_1', 'resp_2']);
    const byModel = await rpc.request(RPC.billing.usageList, { orgId: 'org_r', model: 'moonshotai/kimi-k2.5', limit: 1 });
    expect(byModel).toMatchObject({ data: [expect.objectContaining({ model: 'moonshotai/kimi-k2.5' })], has_more: true });
    const second = await rpc.request(RPC.billing.usageList, { orgId: 'org_r', model: 'moonshotai/kimi-k2.5', limit: 1, cursor: byModel.next_cursor! });
    expect(second).toMatchObject({ data: [expect.objectContaining({ model: 'moonshotai/kimi-k2.5' })], has_more: false });
    expect(byModel.totals.per_model).toEqual([expect.objectContaining({ model: 'moonshotai/kimi-k2.5', count: 2 })]);
    expect((await rpc.request(RPC.billing.usageList, { orgId: 'org_a', model: 'nobody/none' })).data).toEqual([]);
    await expect(rpc.request(RPC.billing.usageList, { orgId: 'org_a', status: 'pending' } as any)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(rpc.request(RPC.billing.usageList, { orgId: 'org_a', cursor: 'nope' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(rpc.request(RPC.billing.usageList, { orgId: 'org_a', from: 'last week' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    // The whole of 9999-12-31 ends past what a timestamp holds: no upper bound, not a database error.
    await expect(rpc.request(RPC.billing.usageList, { orgId: 'org_a', to: '9999-12-31' })).resolves.toMatchObject({ data: expect.any(Array) });
  });

  it('checkout.create goes through the stripe SDK to the configured API base', async () => {
    const r = await rpc.request(RPC.billing.checkoutCreate, { orgId: 'org_s', amountCents: 2500 });
    expect(r).toEqual({ id: 'cs_test_1', url: 'https://checkout.stripe.com/c/pay/cs_test_1' });
    const req = stand.requests[0];
    expect(req.authorization).toBe('Bearer sk_test_billing');
    expect(Object.fromEntries(req.form)).toMatchObject({
      mode: 'payment',
      client_reference_id: 'org_s',
      'metadata[orgId]': 'org_s',
      'line_items[0][quantity]': '1',
      'line_items[0][price_data][unit_amount]': '2500',
      'line_items[0][price_data][currency]': 'usd',
      success_url: 'https://app.example/ok',
      cancel_url: 'https://app.example/no',
    });
    await rpc.request(RPC.billing.checkoutCreate, { orgId: 'org_s', amountCents: 900, successUrl: 'https://x.example/s?id={CHECKOUT_SESSION_ID}' });
    expect(stand.requests[1].form.get('success_url')).toBe('https://x.example/s?id={CHECKOUT_SESSION_ID}');
    await expect(rpc.request(RPC.billing.checkoutCreate, { orgId: 'org_s', amountCents: 10 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(rpc.request(RPC.billing.checkoutCreate, { orgId: 'org_s', amountCents: 900, successUrl: 'javascript:alert(1)' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    stand.failNext = { status: 400, type: 'invalid_request_error', message: 'Amount too large' };
    await expect(rpc.request(RPC.billing.checkoutCreate, { orgId: 'org_s', amountCents: 900 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('Amount too large') });
  });

  it('stripe.event: signature checked; an org is credited once per event and once per session', async () => {
    const session = { id: 'cs_test_1', client_reference_id: 'org_s', metadata: { orgId: 'org_s', purpose: 'pipevideo_credits' }, amount_total: 2500, currency: 'usd', payment_status: 'paid' };
    const good = stripeEvent('evt_1', 'checkout.session.completed', session);
    await expect(rpc.request(RPC.billing.stripeEvent, { payload: good.payload, signature: 't=1,v1=deadbeef' })).rejects.toMatchObject({
      code: 'BAD_REQUEST', message: 'invalid Stripe signature',
    });
    await expect(rpc.request(RPC.billing.stripeEvent, { payload: good.payload.replace('2500', '250000'), signature: good.signature })).rejects.toMatchObject({
      message: 'invalid Stripe signature',
    });
    const r = await rpc.request(RPC.billing.stripeEvent, good);
    expect(r).toEqual({ received: true, eventId: 'evt_1', type: 'checkout.session.completed', credited: true, duplicate: false, transactionId: expect.any(String) });
    // Stripe redelivers the same event, concurrently even, and sends async_payment_succeeded for the same session.
    const again = await Promise.all([rpc.request(RPC.billing.stripeEvent, good), rpc.request(RPC.billing.stripeEvent, good)]);
    expect(again.every((a) => a.credited === false && a.duplicate === true && a.transactionId === r.transactionId)).toBe(true);
    const other = await rpc.request(RPC.billing.stripeEvent, stripeEvent('evt_2', 'checkout.session.async_payment_succeeded', session));
    expect(other).toMatchObject({ credited: false, duplicate: true, transactionId: r.transactionId });
    expect(await balance('org_s')).toEqual({ balance_cents: 2500, held_cents: 0, available_cents: 2500, owed_cents: 0 });

    // Not yet paid (delayed payment method): nothing credited until async_payment_succeeded.
    const unpaid = { ...session, id: 'cs_test_2', payment_status: 'unpaid', amount_total: 700 };
    expect(await rpc.request(RPC.billing.stripeEvent, stripeEvent('evt_3', 'checkout.session.completed', unpaid))).toMatchObject({ credited: false, duplicate: false });
    expect(await rpc.request(RPC.billing.stripeEvent, stripeEvent('evt_4', 'checkout.session.async_payment_succeeded', { ...unpaid, payment_status: 'paid' }))).toMatchObject({ credited: true });
    expect(await rpc.request(RPC.billing.stripeEvent, stripeEvent('evt_5', 'payment_intent.created', { id: 'pi_1' }))).toMatchObject({ credited: false, type: 'payment_intent.created' });
    expect(await balance('org_s')).toMatchObject({ available_cents: 3200 });

    // A session this service did not create (a Payment Link naming the org), or one whose org and
    // client reference disagree, credits nobody.
    const link = { id: 'cs_link_1', client_reference_id: 'org_s', amount_total: 100_000, currency: 'usd', payment_status: 'paid' };
    expect(await rpc.request(RPC.billing.stripeEvent, stripeEvent('evt_6', 'checkout.session.completed', link))).toMatchObject({ credited: false });
    const mixed = { ...session, id: 'cs_test_3', client_reference_id: 'org_other' };
    expect(await rpc.request(RPC.billing.stripeEvent, stripeEvent('evt_7', 'checkout.session.completed', mixed))).toMatchObject({ credited: false });
    expect(await balance('org_s')).toMatchObject({ available_cents: 3200 });
    expect(await balance('org_other')).toMatchObject({ available_cents: 0 });
  });

  it('ledger.check and /metrics', async () => {
    expect(await rpc.request(RPC.billing.ledgerCheck, {})).toEqual({ balanced: true, transactions_unbalanced: 0, cached_mismatches: 0 });
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    const value = (line: string) => Number(text.split('\n').find((l) => l.startsWith(line))?.split(' ').pop());
    expect(value('pipevideo_billing_money_moved_cents_total{operation="topup"')).toBe(1000 + 1000 + 1000 + 2500 + 700 + 500); // org_a, org_r, org_u (usage), Stripe, org_rel
    expect(value('pipevideo_billing_money_moved_cents_total{operation="capture"')).toBe(250);
    expect(value('pipevideo_billing_money_moved_cents_total{operation="token_charge"')).toBe(170 + 30); // org_r's and org_u's running job
    expect(value('pipevideo_billing_money_moved_cents_total{operation="refund"')).toBe(80);
    expect(value('pipevideo_billing_holds_failed_total{reason="insufficient_balance"')).toBe(1);
    expect(value('pipevideo_billing_holds_open')).toBe(0);
    expect(value('pipevideo_billing_ledger_imbalance_cents')).toBe(0);
  });

  const credit = (id: string, orgId: string, pi: string, amount: number, type = 'checkout.session.completed', evt = `evt_${id}`) =>
    rpc.request(RPC.billing.stripeEvent, stripeEvent(evt, type, {
      id: `cs_${id}`, client_reference_id: orgId, metadata: { orgId, purpose: 'pipevideo_credits' }, payment_intent: pi, amount_total: amount, currency: 'usd', payment_status: 'paid',
    }));
  const charge = (evt: string, type: string, obj: Record<string, unknown>) => rpc.request(RPC.billing.stripeEvent, stripeEvent(evt, type, obj));

  it('Stripe refunds and disputes take the credits back (what was spent or is held becomes owed); a dispute won puts them back', async () => {
    expect(await credit('rf', 'org_rf', 'pi_rf', 1000)).toMatchObject({ credited: true });
    await rpc.request(RPC.billing.holdPlace, { orgId: 'org_rf', holdId: 'gen_rf:1', amountCents: 300, generationId: 'gen_rf' });

    // A partial refund, delivered twice: taken once.
    const partial = { object: 'charge', id: 'ch_rf', payment_intent: 'pi_rf', amount: 1000, amount_refunded: 400 };
    const first = await charge('evt_rf_1', 'charge.refunded', partial);
    expect(first).toMatchObject({ credited: false, duplicate: false, transactionId: expect.any(String) });
    expect(await charge('evt_rf_1', 'charge.refunded', partial)).toMatchObject({ duplicate: true, transactionId: first.transactionId });
    expect(await balance('org_rf')).toMatchObject({ available_cents: 300, held_cents: 300, owed_cents: 0 });
    // Then refunded in full (amount_refunded is a running total): 600 more, of which only 300 is still
    // available; the 300 held by the running job is owed.
    expect(await charge('evt_rf_2', 'charge.refunded', { ...partial, amount_refunded: 1000 })).toMatchObject({ duplicate: false });
    expect(await balance('org_rf')).toEqual({ available_cents: 0, held_cents: 300, balance_cents: 300, owed_cents: 300 });
    // A later event with the same running total takes nothing more.
    expect(await charge('evt_rf_3', 'charge.refunded', { ...partial, amount_refunded: 1000 })).toMatchObject({ duplicate: true });
    expect(await balance('org_rf')).toMatchObject({ available_cents: 0, held_cents: 300, owed_cents: 300 });
    // Nothing new starts while the org owes, with a message that says what to do.
    expect(await rpc.request(RPC.billing.holdPlace, { orgId: 'org_rf', holdId: 'gen_rf2:1', amountCents: 10, generationId: 'gen_rf2' })).toMatchObject({
      outcome: 'insufficient', owedCents: 300, message: 'Insufficient balance: your organization owes 300 cents; a top-up settles it first',
    });
    // The job fails: its hold is the refunded money coming back, so it settles the debt.
    await publish(EVENTS.generationFinished, finished({ generationId: 'gen_rf', orgId: 'org_rf', succeeded: false, holdId: 'gen_rf:1' }));
    expect(await balance('org_rf')).toEqual({ available_cents: 0, held_cents: 0, balance_cents: 0, owed_cents: 0 });

    // A dispute withdraws the money, winning it puts back exactly what was taken.
    expect(await credit('dp', 'org_dp', 'pi_dp', 500)).toMatchObject({ credited: true });
    await rpc.request(RPC.billing.tokenCharge, { orgId: 'org_dp', responseId: 'resp_dp', amountCents: 200, inputTokens: 1, outputTokens: 1 });
    const dispute = { object: 'dispute', id: 'dp_1', charge: 'ch_dp', payment_intent: 'pi_dp', amount: 500 };
    await charge('evt_dp_1', 'charge.dispute.funds_withdrawn', dispute);
    expect(await balance('org_dp')).toMatchObject({ available_cents: 0, owed_cents: 200 });
    await charge('evt_dp_2', 'charge.dispute.funds_reinstated', dispute);
    await charge('evt_dp_3', 'charge.dispute.funds_reinstated', dispute);
    expect(await balance('org_dp')).toMatchObject({ available_cents: 300, owed_cents: 0 });
    expect(await rpc.request(RPC.billing.ledgerCheck, {})).toMatchObject({ balanced: true });
  });

  it('a refund or dispute before its top-up is kept, and applied once in the transaction that credits the top-up', async () => {
    // charge.refunded (400 of 1000) arrives first, and is redelivered.
    const refund = { object: 'charge', id: 'ch_pre', payment_intent: 'pi_pre', amount: 1000, amount_refunded: 400 };
    expect(await charge('evt_pre_r1', 'charge.refunded', refund)).toMatchObject({ credited: false, duplicate: false, transactionId: null });
    expect(await charge('evt_pre_r1', 'charge.refunded', refund)).toMatchObject({ duplicate: true, transactionId: null });
    expect(await balance('org_pre')).toMatchObject({ available_cents: 0, owed_cents: 0 });
    // Then the session completes: credited 1000, the refund taken in the same transaction.
    expect(await credit('pre', 'org_pre', 'pi_pre', 1000)).toMatchObject({ credited: true, duplicate: false });
    expect(await balance('org_pre')).toEqual({ available_cents: 600, held_cents: 0, balance_cents: 600, owed_cents: 0 });
    // Redeliveries of the completion, the same session by another event, and of the refund: nothing more.
    expect(await credit('pre', 'org_pre', 'pi_pre', 1000)).toMatchObject({ credited: false, duplicate: true });
    expect(await credit('pre', 'org_pre', 'pi_pre', 1000, 'checkout.session.async_payment_succeeded', 'evt_pre_async')).toMatchObject({ credited: false, duplicate: true });
    expect(await charge('evt_pre_r1', 'charge.refunded', refund)).toMatchObject({ duplicate: true });
    expect(await balance('org_pre')).toMatchObject({ available_cents: 600 });
    // The full refund later takes the remaining 600 only.
    await charge('evt_pre_r2', 'charge.refunded', { ...refund, amount_refunded: 1000 });
    expect(await balance('org_pre')).toMatchObject({ available_cents: 0, owed_cents: 0 });
    const [row] = await svc.ctx.ds.query(`SELECT outcome, transaction_id FROM stripe_events WHERE event_id = 'evt_pre_r1'`);
    expect(row).toMatchObject({ outcome: 'reversed', transaction_id: expect.anything() });

    // A dispute withdrawn and won before the top-up: applied in order, nothing taken in the end. An
    // org that already owes: the top-up pays that first, the refund then takes from what is left.
    const dispute = { object: 'dispute', id: 'dp_pre', charge: 'ch_pre2', payment_intent: 'pi_pre2', amount: 500 };
    await charge('evt_pre_d2', 'charge.dispute.funds_reinstated', dispute);
    await charge('evt_pre_d1', 'charge.dispute.funds_withdrawn', dispute);
    expect(await credit('pre2', 'org_pre2', 'pi_pre2', 500)).toMatchObject({ credited: true });
    expect(await balance('org_pre2')).toMatchObject({ available_cents: 500, owed_cents: 0 });
    await rpc.request(RPC.billing.tokenCharge, { orgId: 'org_pre3', responseId: 'resp_pre3', amountCents: 100, inputTokens: 1, outputTokens: 1 });
    await charge('evt_pre3_r', 'charge.refunded', { object: 'charge', id: 'ch_pre3', payment_intent: 'pi_pre3', amount: 500, amount_refunded: 300 });
    expect(await credit('pre3', 'org_pre3', 'pi_pre3', 500)).toMatchObject({ credited: true });
    expect(await balance('org_pre3')).toMatchObject({ available_cents: 100, owed_cents: 0 });

    // Refund and completion sent together, in either order: the refund is applied exactly once (the
    // worst interleaving is forced in stripe-refund-before-topup.spec.ts).
    await Promise.all(
      Array.from({ length: 6 }, async (_, k) => {
        const r = charge(`evt_race_r${k}`, 'charge.refunded', { object: 'charge', id: `ch_race${k}`, payment_intent: `pi_race${k}`, amount: 800, amount_refunded: 300 });
        const c = credit(`race${k}`, `org_race${k}`, `pi_race${k}`, 800);
        await Promise.all(k % 2 ? [r, c] : [c, r]);
      }),
    );
    for (let k = 0; k < 6; k++) expect(await balance(`org_race${k}`)).toMatchObject({ available_cents: 500, owed_cents: 0 });
    expect(await rpc.request(RPC.billing.ledgerCheck, {})).toMatchObject({ balanced: true });

    // A charge that paid no top-up of ours stays pending and moves nothing.
    expect(await charge('evt_other', 'charge.refunded', { object: 'charge', id: 'ch_x', payment_intent: 'pi_unknown', amount_refunded: 999 })).toMatchObject({ transactionId: null });
    const [other] = await svc.ctx.ds.query(`SELECT outcome FROM stripe_events WHERE event_id = 'evt_other'`);
    expect(other.outcome).toBe('pending_topup');
  });

  it('metrics count what became owed and what was settled, and the receivables gauges', async () => {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    const value = (line: string) => Number(text.split('\n').find((l) => l.startsWith(line))?.split(' ').pop());
    // org_rf: 300 owed, settled by its release; org_dp: 200 owed, settled by the dispute won; org_pre3: 100 owed, settled by its top-up.
    expect(value('pipevideo_billing_money_moved_cents_total{operation="owed"')).toBe(300 + 200 + 100);
    expect(value('pipevideo_billing_money_moved_cents_total{operation="owed_settled"')).toBe(300 + 200 + 100);
    expect(value('pipevideo_billing_money_moved_cents_total{operation="writeoff"')).toBe(0);
    expect(value('pipevideo_billing_receivables_cents')).toBe(0);
    expect(value('pipevideo_billing_orgs_owing')).toBe(0);
    await rpc.request(RPC.billing.tokenCharge, { orgId: 'org_m', responseId: 'resp_m', amountCents: 42, inputTokens: 1, outputTokens: 1 });
    const after = await (await fetch(`${svc.url}/metrics`)).text();
    expect(after).toMatch(/^pipevideo_billing_receivables_cents(\{[^}]*\})? 42$/m);
    expect(after).toMatch(/^pipevideo_billing_orgs_owing(\{[^}]*\})? 1$/m);
  });
});

describe('billing service over NATS', () => {
  it('answers its RPC subjects with typed errors, and consumes events from JetStream', async () => {
    // A nats-server of our own: on the shared one, any other billing instance of the machine is in
    // the same queue group and would answer (and be sent) some of these requests.
    const own = await startPrivateNats();
    if (!own && !(await requireNats())) return;
    const url = own?.url ?? NATS_TEST_URL;
    const db = await createTestDatabase('pv_billing_nats');
    // On the shared server a test must not take the shared durable consumer's events.
    const svc = await startBillingService({ messaging: { kind: 'nats', url }, databaseUrl: db.url, port: 0, eventConsumer: own ? 'billing' : false });
    try {
      const rpc = svc.ctx.messaging.rpc;
      const org = `org_nats_${randomUUID()}`;
      await rpc.request(RPC.billing.topupCreate, { orgId: org, amountCents: 100, idempotencyKey: 'k', source: 'operator' });
      expect(await rpc.request(RPC.billing.holdPlace, { orgId: org, holdId: `${org}:1`, amountCents: 60, generationId: 'g' })).toMatchObject({
        balance: { held_cents: 60, available_cents: 40 },
      });
      expect(await rpc.request(RPC.billing.holdPlace, { orgId: org, holdId: `${org}:2`, amountCents: 60, generationId: 'g' })).toMatchObject({
        outcome: 'insufficient', availableCents: 40, message: expect.stringMatching(/^Insufficient balance/),
      });
      expect(await rpc.request(RPC.billing.balanceGet, { orgId: org })).toEqual({ balance_cents: 100, held_cents: 60, available_cents: 40, owed_cents: 0 });
      if (own) {
        // Through JetStream: the event is published twice (a redelivery) and settles once.
        const evt = finished({ generationId: 'g', orgId: org, succeeded: true, holdId: `${org}:1`, costCents: 45 });
        await svc.ctx.messaging.events.publish(EVENTS.generationFinished, evt.eventId, JSON.stringify(evt));
        await svc.ctx.messaging.events.publish(EVENTS.generationFinished, `${evt.eventId}-again`, JSON.stringify(evt));
        const deadline = Date.now() + 15_000;
        let b: any;
        do {
          await new Promise((r) => setTimeout(r, 100));
          b = await rpc.request(RPC.billing.balanceGet, { orgId: org });
        } while (b.held_cents !== 0 && Date.now() < deadline);
        await new Promise((r) => setTimeout(r, 300));
        expect(await rpc.request(RPC.billing.balanceGet, { orgId: org })).toEqual({ balance_cents: 55, held_cents: 0, available_cents: 55, owed_cents: 0 });
      }
    } finally {
      await svc.close();
      await db.drop();
      await own?.stop();
    }
  }, 30_000);
});
