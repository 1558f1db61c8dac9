import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { RPC, type RpcSubject, type WebhookDeliveryView, type WebhookListPage } from '@pipevideo/contracts';
import { createTestDatabase, currentCorrelationId, logger, withCorrelationId, type TestDatabase } from '@pipevideo/platform';
import type { RunningWebhooksService } from '../src';
import { DeliveryStore } from '../src/delivery/delivery-store';
import { HttpSender } from '../src/delivery/http-sender';
import { RetentionSweeper } from '../src/delivery/retention';
import { GenerationFinishedConsumer } from '../src/events/generation-finished.consumer';
import { Receiver } from './support/receiver';
import { finishedEvent, publish, rpc, startTestService, waitForDeliveries } from './support/service';

const org = () => `org_${randomUUID().slice(0, 8)}`;
jest.setTimeout(30_000); // waits are bounded by their own deadlines; this only stops a stuck test

describe('webhooks service (in-process messaging, real PostgreSQL, real HTTP receivers)', () => {
  let db: TestDatabase;
  let svc: RunningWebhooksService;
  const receivers: Receiver[] = [];

  const receiver = async () => {
    const r = await Receiver.start();
    receivers.push(r);
    return r;
  };
  const createEndpoint = (orgId: string, url: string, extra: Record<string, unknown> = {}) =>
    rpc(svc, RPC.webhooks.endpointCreate, { orgId, url, ...extra });

  beforeAll(async () => {
    db = await createTestDatabase('pv_webhooks');
    svc = await startTestService(db);
  });
  afterAll(async () => {
    await svc?.close();
    for (const r of receivers) await r.close();
    await db?.drop();
  });

  it('creates an endpoint with a whsec_ secret shown once, and delivers a signed video.generation.completed', async () => {
    const r = await receiver();
    const orgId = org();
    const ep = await createEndpoint(orgId, r.url, { description: 'prod' });
    expect(ep).toMatchObject({ object: 'webhook_endpoint', url: r.url, description: 'prod', enabled: true, disabled_reason: null });
    expect(ep.events).toEqual(['video.generation.completed']);
    expect(ep.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    const got = await rpc(svc, RPC.webhooks.endpointGet, { orgId, id: ep.id });
    expect(got).not.toHaveProperty('secret');

    // Stored encrypted, never in clear.
    const [stored] = await svc.ctx.ds.query(`SELECT secret FROM endpoints WHERE id = $1`, [ep.id]);
    expect(stored.secret.startsWith('enc1:')).toBe(true);
    expect(stored.secret).not.toContain(ep.secret.slice(6));

    const evt = finishedEvent(orgId, { status: 'failed', succeeded: false, outputUrl: null, errorMessage: 'Provider returned failure', costCents: 0 });
    await publish(svc, evt);
    await r.waitFor((x) => x.succeeded.length === 1);
    const req = r.requests[0];
    // Verified the way a customer does it.
    const body = new Webhook(ep.secret).verify(req.body, req.headers) as any;
    expect(body.type).toBe('video.generation.completed');
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
    expect(body.data).toMatchObject({
      generationId: evt.generationId,
      status: 'failed',
      outputUrl: null,
      errorMessage: 'Provider returned failure',
      api: 'video',
    });
    expect(req.headers['webhook-id']).toMatch(/^msg_/);
    expect(req.headers['content-type']).toBe('application/json');

    const [d] = await waitForDeliveries(svc, orgId, ep.id, (ds) => ds[0]?.status === 'succeeded');
    expect(d).toMatchObject({ event_type: 'video.generation.completed', event_id: req.headers['webhook-id'], attempts: 1, last_status_code: 200, last_error: null });
    expect(d.latency_ms).toEqual(expect.any(Number));

    // A redelivered event (same eventId) creates nothing twice.
    await publish(svc, evt);
    const again = await waitForDeliveries(svc, orgId, ep.id, () => true);
    expect(again).toHaveLength(1);
  });

  it('a receiver failing twice then succeeding gets the event on the third attempt, same webhook-id, verifiable', async () => {
    const r = (await receiver()).answer(500, 503);
    const orgId = org();
    const ep = await createEndpoint(orgId, r.url);
    await publish(svc, finishedEvent(orgId));
    await r.waitFor((x) => x.succeeded.length === 1);
    expect(r.requests.map((q) => q.answered)).toEqual([500, 503, 200]);
    expect(new Set(r.requests.map((q) => q.headers['webhook-id'])).size).toBe(1);
    const wh = new Webhook(ep.secret);
    for (const q of r.requests) expect(() => wh.verify(q.body, q.headers)).not.toThrow();
    expect(new Set(r.requests.map((q) => q.body)).size).toBe(1);
    const [d] = await waitForDeliveries(svc, orgId, ep.id, (ds) => ds[0]?.status === 'succeeded');
    expect(d).toMatchObject({ attempts: 3, last_status_code: 200, next_attempt_at: null });
  });

  it('events of org A never reach org B, and only endpoints subscribed to the type get them', async () => {
    const a = await receiver();
    const b = await receiver();
    const aOtherType = await receiver();
    const orgA = org();
    const orgB = org();
    const epA = await createEndpoint(orgA, a.url, { events: ['video.generation.completed'] });
    // Today there is one subscribable type, so an endpoint of another type can only be stored directly: it
    // stands for a subscription to a future type (or a retired one still stored), which must hear nothing.
    const epA2 = await createEndpoint(orgA, aOtherType.url);
    await svc.ctx.ds.query(`UPDATE endpoints SET events = '{video.generation.started}' WHERE id = $1`, [epA2.id]);
    const epB = await createEndpoint(orgB, b.url);
    for (let i = 0; i < 3; i++) await publish(svc, finishedEvent(orgA));
    await a.waitFor((x) => x.succeeded.length === 3);
    // Then one for B, so B's receiver having exactly one request proves A's never came.
    await publish(svc, finishedEvent(orgB));
    await b.waitFor((x) => x.succeeded.length === 1);
    expect(b.requests).toHaveLength(1);
    expect(JSON.parse(b.requests[0].body).data.generationId).toBeDefined();
    expect(aOtherType.requests).toHaveLength(0);
    expect(await waitForDeliveries(svc, orgB, epB.id, () => true)).toHaveLength(1);
    expect(await waitForDeliveries(svc, orgA, epA2.id, () => true)).toHaveLength(0);
    expect(await waitForDeliveries(svc, orgA, epA.id, () => true)).toHaveLength(3);
  });

  it('a hanging endpoint holds at most its per-endpoint share of the workers; other orgs are still served', async () => {
    const slow = (await receiver()).answer(...Array.from({ length: 16 }, () => 'hang' as const));
    const fast = await receiver();
    const orgSlow = org();
    const orgFast = org();
    await createEndpoint(orgSlow, slow.url);
    await createEndpoint(orgFast, fast.url);
    for (let i = 0; i < 20; i++) await publish(svc, finishedEvent(orgSlow));
    await slow.waitFor((x) => x.requests.length === 16);
    await publish(svc, finishedEvent(orgFast));
    await fast.waitFor((x) => x.succeeded.length === 1);
    expect(slow.requests).toHaveLength(16); // maxInFlightPerEndpoint (16): the other 4 wait
    // After the 5 s timeout the hung attempts are retried and everything arrives.
    await slow.waitFor((x) => new Set(x.succeeded.map((q) => q.headers['webhook-id'])).size === 20, 15_000);
  });

  it('a Responses-API generation becomes video.generation.completed with api: responses and the response object', async () => {
    const r = await receiver();
    const orgId = org();
    const ep = await createEndpoint(orgId, r.url, { events: ['video.generation.completed'] });
    const response = {
      object: 'response', status: 'completed', model: 'moonshotai/kimi-k2.5', engine: 'lottie', provider: 'framerate', output_video_url: 'https://cdn.example/v.mp4',
      usage: { input_tokens: 1200, output_tokens: 3400, total_tokens: 4600, cost_usd: 0.12, charged_cents: 12, estimated: false },
      artifact_url: { url: 'https://cdn.example/anim.json', expires_at: 1772985660 }, artifact_type: 'application/json', error: null, latency_ms: 58000,
    };
    const evt = finishedEvent(orgId, { api: 'responses', model: 'moonshotai/kimi-k2.5', provider: 'framerate', keepTokenCharge: false });
    Object.assign(evt, { resource: { id: evt.generationId, ...response } });
    await publish(svc, evt);
    await r.waitFor((x) => x.succeeded.length === 1);
    const body = new Webhook(ep.secret).verify(r.requests[0].body, r.requests[0].headers) as any;
    expect(body.type).toBe('video.generation.completed');
    expect(body.data).toMatchObject({
      generationId: evt.generationId,
      status: 'completed',
      outputUrl: evt.outputUrl,
      errorMessage: null,
      api: 'responses',
    });
    // The response object exactly as the router rendered it for GET /v1/responses/{id}: engine, usage, artifact.
    expect(body.data.response).toEqual({ id: evt.generationId, ...response });
    expect(Object.keys(body.data).sort()).toEqual(['api', 'errorMessage', 'generationId', 'outputUrl', 'response', 'status']);
    const [d] = await waitForDeliveries(svc, orgId, ep.id, (ds) => ds[0]?.status === 'succeeded');
    expect(d.event_type).toBe('video.generation.completed');
  });

  it('410 Gone disables the endpoint at once with a reason the org can see', async () => {
    const r = (await receiver()).answer(410);
    const orgId = org();
    const ep = await createEndpoint(orgId, r.url);
    await publish(svc, finishedEvent(orgId));
    const [d] = await waitForDeliveries(svc, orgId, ep.id, (ds) => ds[0]?.status === 'failed');
    expect(d).toMatchObject({ attempts: 1, last_status_code: 410 });
    const got = await rpc(svc, RPC.webhooks.endpointGet, { orgId, id: ep.id });
    expect(got.enabled).toBe(false);
    expect(got.disabled_reason).toMatch(/410/);
    // Disabled: new events create no delivery, and tests/retries are refused until re-enabled.
    await publish(svc, finishedEvent(orgId));
    expect(await waitForDeliveries(svc, orgId, ep.id, () => true)).toHaveLength(1);
    await expect(rpc(svc, RPC.webhooks.endpointTest, { orgId, id: ep.id })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(rpc(svc, RPC.webhooks.deliveryRetry, { orgId, id: d.id })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const enabled = await rpc(svc, RPC.webhooks.endpointUpdate, { orgId, id: ep.id, enabled: true });
    expect(enabled).toMatchObject({ enabled: true, disabled_reason: null });
    expect(r.requests).toHaveLength(1);
  });

  it('disabling an endpoint gives up its waiting deliveries (after the disable commits, taking turns with claims)', async () => {
    const r = await receiver();
    r.fallback = 500;
    const orgId = org();
    const ep = await createEndpoint(orgId, r.url);
    for (let i = 0; i < 3; i++) await publish(svc, finishedEvent(orgId));
    await waitForDeliveries(svc, orgId, ep.id, (ds) => ds.length === 3 && ds.every((d) => d.attempts >= 1));
    const disabled = await rpc(svc, RPC.webhooks.endpointUpdate, { orgId, id: ep.id, enabled: false });
    expect(disabled).toMatchObject({ enabled: false });
    const ds = await waitForDeliveries(svc, orgId, ep.id, (all) => all.every((d) => d.status === 'failed'));
    for (const d of ds) expect(d.last_error).toContain('not sent: the endpoint was disabled');
    const sent = r.requests.length;
    await new Promise((res) => setTimeout(res, 300)); // three retry intervals: nothing more goes out
    expect(r.requests.length).toBe(sent);
  });

  it('exhausts after the schedule, disables after N exhausted deliveries, and a manual retry re-delivers', async () => {
    const r = await receiver();
    r.fallback = 500;
    const orgId = org();
    const ep = await createEndpoint(orgId, r.url);
    await publish(svc, finishedEvent(orgId));
    let [d1] = await waitForDeliveries(svc, orgId, ep.id, (ds) => ds[0]?.status === 'exhausted');
    expect(d1).toMatchObject({ attempts: 4, last_status_code: 500, next_attempt_at: null });
    expect(d1.last_error).toContain('HTTP 500');
    expect((await rpc(svc, RPC.webhooks.endpointGet, { orgId, id: ep.id })).enabled).toBe(true);

    // Manual retry: one more attempt now, which succeeds.
    r.fallback = 200;
    const queued = await rpc(svc, RPC.webhooks.deliveryRetry, { orgId, id: d1.id });
    expect(queued.status).toBe('pending');
    [d1] = await waitForDeliveries(svc, orgId, ep.id, (ds) => ds[0]?.status === 'succeeded');
    expect(d1.attempts).toBe(5);
    expect(new Set(r.requests.map((q) => q.headers['webhook-id'])).size).toBe(1);

    // Two exhausted deliveries in a row (disableAfterExhausted = 2 in tests) disable the endpoint.
    r.fallback = 500;
    await publish(svc, finishedEvent(orgId));
    await waitForDeliveries(svc, orgId, ep.id, (ds) => ds.filter((x) => x.status === 'exhausted').length === 1);
    await publish(svc, finishedEvent(orgId));
    await waitForDeliveries(svc, orgId, ep.id, (ds) => ds.filter((x) => x.status === 'exhausted').length === 2);
    const got = await rpc(svc, RPC.webhooks.endpointGet, { orgId, id: ep.id });
    expect(got.enabled).toBe(false);
    expect(got.disabled_reason).toMatch(/last 2 deliveries/);
  });

  it('rotation: the new secret is shown once and both secrets sign during the overlap window', async () => {
    const r = await receiver();
    const orgId = org();
    const ep = await createEndpoint(orgId, r.url);
    const rotated = await rpc(svc, RPC.webhooks.endpointRotate, { orgId, id: ep.id });
    expect(rotated.secret).toMatch(/^whsec_/);
    expect(rotated.secret).not.toBe(ep.secret);
    expect(rotated.previous_secret_expires_at).toBeGreaterThan(Date.now() / 1000 + 23 * 3600);
    await rpc(svc, RPC.webhooks.endpointTest, { orgId, id: ep.id });
    await r.waitFor((x) => x.succeeded.length === 1);
    const q = r.requests[0];
    expect(q.headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(q.headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
    expect((new Webhook(rotated.secret).verify(q.body, q.headers) as any).type).toBe('webhook.test');
    expect(() => new Webhook(ep.secret).verify(q.body, q.headers)).not.toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(q.body, q.headers)).toThrow();
  });

  it('a rotation with no overlap window signs with the new secret only', async () => {
    const r = await receiver();
    const orgId = org();
    const strict = await startTestService(db, { rotationOverlapMs: 0, deliver: false, consumerName: `webhooks-strict-${db.name}` });
    try {
      const ep = await rpc(strict, RPC.webhooks.endpointCreate, { orgId, url: r.url });
      const rotated = await rpc(strict, RPC.webhooks.endpointRotate, { orgId, id: ep.id });
      expect(rotated.previous_secret_expires_at).toBeNull();
      await rpc(strict, RPC.webhooks.endpointTest, { orgId, id: ep.id });
      await r.waitFor((x) => x.succeeded.length === 1); // sent by the main instance's worker (same database)
      expect(r.requests[0].headers['webhook-signature'].split(' ')).toHaveLength(1);
      expect(() => new Webhook(rotated.secret).verify(r.requests[0].body, r.requests[0].headers)).not.toThrow();
    } finally {
      await strict.close();
    }
  });

  it('test event: webhook.test delivered like any other and listed in the delivery log', async () => {
    const r = await receiver();
    const orgId = org();
    const ep = await createEndpoint(orgId, r.url, { events: ['video.generation.completed'] });
    const d = await rpc(svc, RPC.webhooks.endpointTest, { orgId, id: ep.id });
    expect(d).toMatchObject({ object: 'webhook_delivery', endpoint_id: ep.id, event_type: 'webhook.test', status: 'pending', attempts: 0 });
    await r.waitFor((x) => x.succeeded.length === 1);
    const body = new Webhook(ep.secret).verify(r.requests[0].body, r.requests[0].headers) as any;
    expect(body).toMatchObject({ type: 'webhook.test', data: { endpoint_id: ep.id } });
    const [logged] = await waitForDeliveries(svc, orgId, ep.id, (ds) => ds[0]?.status === 'succeeded');
    expect(logged.id).toBe(d.id);
  });

  it('a signing secret that cannot be opened (encryption key changed) is a recorded failed attempt on schedule, not an endless retry', async () => {
    const r = await receiver();
    const orgId = org();
    const ep = await createEndpoint(orgId, r.url);
    await svc.ctx.ds.query(`UPDATE endpoints SET secret = 'enc1:AAAA:BBBB:CCCC' WHERE id = $1`, [ep.id]);
    await rpc(svc, RPC.webhooks.endpointTest, { orgId, id: ep.id });
    const [d] = await waitForDeliveries(svc, orgId, ep.id, (ds) => (ds[0]?.attempts ?? 0) >= 1 && ds[0]?.last_error !== null);
    expect(d).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringMatching(/could not sign/) });
    expect(r.requests).toHaveLength(0); // nothing unsigned ever leaves
    // Our failure, not the endpoint's: its health is untouched (it could otherwise end up disabled).
    const [health] = await svc.ctx.ds.query(`SELECT failing_since, enabled FROM endpoints WHERE id = $1`, [ep.id]);
    expect(health).toEqual({ failing_since: null, enabled: true });
    expect(await svc.ctx.metrics.scrape()).toMatch(/pipevideo_webhook_sign_failures_total\{service="webhooks"\} [1-9]/);
  });

  it('lists, updates, pages and deletes endpoints; validates input', async () => {
    const r = await receiver();
    const orgId = org();
    const created: string[] = [];
    for (let i = 0; i < 3; i++) created.push((await createEndpoint(orgId, `${r.url}/${i}`)).id);
    const p1 = await rpc(svc, RPC.webhooks.endpointList, { orgId, limit: 2 });
    expect(p1.data.map((e) => e.id)).toEqual([created[2], created[1]]);
    expect(p1.has_more).toBe(true);
    const p2 = await rpc(svc, RPC.webhooks.endpointList, { orgId, limit: 2, cursor: p1.next_cursor });
    expect(p2).toMatchObject({ has_more: false, next_cursor: null });
    expect(p2.data.map((e) => e.id)).toEqual([created[0]]);

    const updated = await rpc(svc, RPC.webhooks.endpointUpdate, {
      orgId, id: created[0], url: `${r.url}/new`, events: ['video.generation.completed'], description: 'renamed', enabled: false,
    });
    expect(updated).toMatchObject({ url: `${r.url}/new`, events: ['video.generation.completed'], description: 'renamed', enabled: false });
    expect(updated.disabled_reason).toMatch(/organization/);

    await expect(createEndpoint(orgId, r.url, { events: ['video.generation.started'] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    // The retired Responses-only type: Responses jobs now raise video.generation.completed (spec 001).
    await expect(createEndpoint(orgId, r.url, { events: ['response.completed'] })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('events') });
    await expect(rpc(svc, RPC.webhooks.endpointUpdate, { orgId, id: created[2], events: ['response.completed'] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(createEndpoint(orgId, r.url, { events: [] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(createEndpoint(orgId, 'not a url')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('url') });
    await expect(rpc(svc, RPC.webhooks.endpointCreate, { url: r.url })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(rpc(svc, RPC.webhooks.endpointList, { orgId, cursor: 'garbage' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });

    const deleted = await rpc(svc, RPC.webhooks.endpointDelete, { orgId, id: created[1] });
    expect(deleted).toEqual({ id: created[1], object: 'webhook_endpoint', deleted: true });
    await expect(rpc(svc, RPC.webhooks.endpointGet, { orgId, id: created[1] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('another org sees NOT_FOUND for get, update, delete, rotate, test, deliveries and retry', async () => {
    const r = await receiver();
    const owner = org();
    const other = org();
    const ep = await createEndpoint(owner, r.url);
    const d = await rpc(svc, RPC.webhooks.endpointTest, { orgId: owner, id: ep.id });
    await r.waitFor((x) => x.succeeded.length === 1);
    const calls: Array<[RpcSubject, Record<string, unknown>]> = [
      [RPC.webhooks.endpointGet, { id: ep.id }],
      [RPC.webhooks.endpointUpdate, { id: ep.id, description: 'mine now' }],
      [RPC.webhooks.endpointDelete, { id: ep.id }],
      [RPC.webhooks.endpointRotate, { id: ep.id }],
      [RPC.webhooks.endpointTest, { id: ep.id }],
      [RPC.webhooks.deliveryList, { endpointId: ep.id }],
      [RPC.webhooks.deliveryRetry, { id: d.id }],
    ];
    // The right org but another endpoint's path (the HTTP route names both).
    const other2 = await createEndpoint(owner, r.url);
    await expect(rpc(svc, RPC.webhooks.deliveryRetry, { orgId: owner, id: d.id, endpointId: other2.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    for (const [subject, payload] of calls) {
      await expect(rpc(svc, subject, { orgId: other, ...payload })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }
    const list = await rpc(svc, RPC.webhooks.endpointList, { orgId: other });
    expect(list.data).toEqual([]);
    // Untouched for its owner.
    const got = await rpc(svc, RPC.webhooks.endpointGet, { orgId: owner, id: ep.id });
    expect(got).toMatchObject({ description: '', enabled: true });
    expect(r.requests).toHaveLength(1);
  });

  it('pages the delivery log and filters it by status', async () => {
    const r = await receiver();
    const orgId = org();
    const ep = await createEndpoint(orgId, r.url);
    for (let i = 0; i < 5; i++) await publish(svc, finishedEvent(orgId));
    await r.waitFor((x) => x.succeeded.length === 5);
    await waitForDeliveries(svc, orgId, ep.id, (ds) => ds.length === 5 && ds.every((x) => x.status === 'succeeded'));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: WebhookListPage<WebhookDeliveryView> = await rpc(svc, RPC.webhooks.deliveryList, { orgId, endpointId: ep.id, limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.data.map((x) => x.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(5);
    const none = await rpc(svc, RPC.webhooks.deliveryList, { orgId, endpointId: ep.id, status: 'exhausted' });
    expect(none.data).toEqual([]);
  });

  it('retention deletes finished deliveries and their events after the retention period, never pending ones', async () => {
    const r = await receiver();
    r.answer('hang');
    const orgId = org();
    const ep = await createEndpoint(orgId, r.url);
    await publish(svc, finishedEvent(orgId));
    await publish(svc, finishedEvent(orgId));
    await waitForDeliveries(svc, orgId, ep.id, (ds) => ds.filter((d) => d.status === 'succeeded').length === 1);
    await svc.ctx.ds.query(`UPDATE deliveries SET completed_at = now() - interval '31 days', created_at = now() - interval '31 days' WHERE endpoint_id = $1 AND status = 'succeeded'`, [ep.id]);
    await svc.ctx.ds.query(`UPDATE messages SET created_at = now() - interval '31 days' WHERE org_id = $1`, [orgId]);
    const swept = await new RetentionSweeper(svc.ctx.ds, 30 * 86_400_000).sweep();
    expect(swept).toMatchObject({ deliveries: 1, messages: 1 });
    const left = await waitForDeliveries(svc, orgId, ep.id, () => true);
    expect(left.map((d) => d.status)).toEqual(['pending']); // the hung one (in flight) stays
  });

  it('fans out concurrent events in one transaction; a duplicate counts once and a failing event does not sink the others', async () => {
    const r = await receiver();
    const orgId = org();
    const ep = await createEndpoint(orgId, r.url);
    const store = new DeliveryStore(svc.ctx.ds);
    const enqueueMany = store.enqueueMany.bind(store);
    // A store that refuses any batch holding the poisoned event (as a constraint violation would).
    store.enqueueMany = async (m, events) => {
      if (events.some((e) => e.event.body.includes('poison'))) throw new Error('poisoned');
      return enqueueMany(m, events);
    };
    let kicks = 0;
    const consumer = new GenerationFinishedConsumer(svc.ctx.ds, store, () => kicks++);
    const good = finishedEvent(orgId);
    const results = await Promise.allSettled([
      consumer.handle(good),
      consumer.handle(good), // the same event twice at once
      consumer.handle(finishedEvent(orgId, { status: 'failed', succeeded: false, errorMessage: 'poison' })),
      consumer.handle(finishedEvent(orgId)),
    ]);
    expect(results.map((x) => x.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(kicks).toBeGreaterThan(0);
    svc.worker.kick();
    await r.waitFor((x) => x.succeeded.length === 2);
    const ds = await waitForDeliveries(svc, orgId, ep.id, (x) => x.length === 2 && x.every((d) => d.status === 'succeeded'));
    expect(ds).toHaveLength(2);
    const ids = r.succeeded.map((q) => JSON.parse(q.body).data.generationId);
    expect(ids).toContain(good.generationId);
  });

  it('keeps the correlation id of the generation on its deliveries and runs every attempt under it, never sending it', async () => {
    const r = (await receiver()).answer(500); // two attempts: the retry must carry the id too
    const orgId = org();
    const ep = await createEndpoint(orgId, r.url);
    // What the sender sees: the correlation id current while it sends (the logger's mixin reads the same).
    const seen: Array<{ url: string; correlationId: string | undefined }> = [];
    const send = HttpSender.prototype.send;
    const spy = jest.spyOn(HttpSender.prototype, 'send').mockImplementation(function (this: HttpSender, req) {
      seen.push({ url: req.url, correlationId: currentCorrelationId() });
      return send.call(this, req);
    });
    try {
      const correlationId = `req_${randomUUID()}`;
      await publish(svc, finishedEvent(orgId, { correlationId }));
      await r.waitFor((x) => x.succeeded.length === 1);
      const [d] = await waitForDeliveries(svc, orgId, ep.id, (ds) => ds[0]?.status === 'succeeded');
      const [row] = await svc.ctx.ds.query(`SELECT correlation_id FROM deliveries WHERE id = $1`, [d.id]);
      expect(row.correlation_id).toBe(correlationId);
      expect(seen.filter((x) => x.url === r.url).map((x) => x.correlationId)).toEqual([correlationId, correlationId]);
      // Internal only: not in what the customer receives, nor in the delivery log the org reads.
      for (const q of r.requests) expect(JSON.stringify(q.headers) + q.body).not.toContain(correlationId);
      expect(JSON.stringify(d)).not.toContain(correlationId);

      // An event without one (older routers): stored as NULL, and the attempt still gets an id of its own.
      const r2 = await receiver();
      const org2 = org();
      const ep2 = await createEndpoint(org2, r2.url);
      await publish(svc, finishedEvent(org2));
      await r2.waitFor((x) => x.succeeded.length === 1);
      const [d2] = await waitForDeliveries(svc, org2, ep2.id, (ds) => ds[0]?.status === 'succeeded');
      const [row2] = await svc.ctx.ds.query(`SELECT correlation_id FROM deliveries WHERE id = $1`, [d2.id]);
      expect(row2.correlation_id).toBeNull();
      const own = seen.filter((x) => x.url === r2.url).map((x) => x.correlationId);
      expect(own).toEqual([expect.any(String)]);
      expect(own[0]).not.toBe(correlationId);
    } finally {
      spy.mockRestore();
    }
  });

  it('logs an attempt\'s outcome under the delivery\'s correlation id (410 Gone → "endpoint disabled")', async () => {
    const r = (await receiver()).answer(410);
    const orgId = org();
    const ep = await createEndpoint(orgId, r.url);
    const logged: Array<{ endpointId?: string; correlationId: string | undefined }> = [];
    const warn = jest.spyOn(logger, 'warn').mockImplementation(((obj: unknown) => {
      logged.push({ endpointId: (obj as { endpointId?: string })?.endpointId, correlationId: currentCorrelationId() });
    }) as any);
    try {
      const correlationId = `req_${randomUUID()}`;
      await publish(svc, finishedEvent(orgId, { correlationId }));
      await waitForDeliveries(svc, orgId, ep.id, (ds) => ds[0]?.status === 'failed');
      expect(logged.filter((l) => l.endpointId === ep.id)).toEqual([{ endpointId: ep.id, correlationId }]);
    } finally {
      warn.mockRestore();
    }
  });

  it('stores each event\'s own correlation id when events are fanned out together, and the test call\'s for webhook.test', async () => {
    const r = await receiver();
    const orgId = org();
    const ep = await createEndpoint(orgId, r.url);
    const consumer = new GenerationFinishedConsumer(svc.ctx.ds, new DeliveryStore(svc.ctx.ds), () => svc.worker.kick());
    const evts = [finishedEvent(orgId, { correlationId: 'corr-a' }), finishedEvent(orgId, { correlationId: 'corr-b' }), finishedEvent(orgId)];
    await Promise.all(evts.map((e) => consumer.handle(e))); // one batch, one statement
    const stored = await svc.ctx.ds.query(
      `SELECT m.source_event_id, d.correlation_id FROM deliveries d JOIN messages m ON m.id = d.message_id WHERE d.endpoint_id = $1`,
      [ep.id],
    );
    const byEvent = Object.fromEntries(stored.map((x: any) => [x.source_event_id, x.correlation_id]));
    expect(byEvent).toEqual({ [evts[0].eventId]: 'corr-a', [evts[1].eventId]: 'corr-b', [evts[2].eventId]: null });

    // webhooks.endpoint.test: the id the RPC client sent with the call.
    const test = await withCorrelationId('corr-test-call', () => rpc(svc, RPC.webhooks.endpointTest, { orgId, id: ep.id }));
    const [row] = await svc.ctx.ds.query(`SELECT correlation_id FROM deliveries WHERE id = $1`, [test.id]);
    expect(row.correlation_id).toBe('corr-test-call');
    await r.waitFor((x) => x.succeeded.length === 4);
  });

  it('serves its metrics', async () => {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    for (const name of [
      'pipevideo_webhook_deliveries_total{outcome="succeeded"',
      'pipevideo_webhook_delivery_attempts_total{result="ok"',
      'pipevideo_webhook_delivery_duration_seconds_bucket',
      'pipevideo_webhook_backlog',
      'pipevideo_webhook_oldest_pending_age_seconds',
      'pipevideo_webhook_endpoints_disabled_total{reason="gone"',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/pipevideo_webhook_endpoints_disabled_total\{reason="gone"[^}]*\} [1-9]/);
  });
});
