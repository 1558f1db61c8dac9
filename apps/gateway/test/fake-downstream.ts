import { randomBytes } from 'node:crypto';
import { RPC } from '@pipevideo/contracts';
import type { Harness } from './helpers';

const rid = (p: string, hex = false) => `${p}_${randomBytes(10).toString(hex ? 'hex' : 'base64url').replace(/[-_]/g, 'x')}`;
const notFound = (what: string) => Object.assign(new Error(`${what} not found`), { code: 'NOT_FOUND' });

/**
 * In-memory stand-ins for the router, billing and webhooks NATS APIs, org-scoped like the real ones
 * (another org's id → NOT_FOUND). Enough for the gateway's own tests; the lead's e2e tests use the real services.
 */
export function installFakeDownstream(h: Harness) {
  const generations = new Map<string, { orgId: string; api: 'video' | 'responses'; body: any }>();
  const endpoints = new Map<string, { orgId: string }>();
  const deliveries = new Map<string, { orgId: string; endpointId: string }>();
  const balances = new Map<string, number>();
  const own = <T extends { orgId: string }>(m: Map<string, T>, orgId: string, id: string, what: string): T => {
    const v = m.get(id);
    if (!v || v.orgId !== orgId) throw notFound(what);
    return v;
  };

  h.stub(RPC.router.generationCreate, (d) => {
    const id = rid('gen');
    const body = { id, status: 'pending', model: d.request.models[0], created_at: Math.floor(Date.now() / 1000) };
    generations.set(id, { orgId: d.orgId, api: 'video', body });
    return body;
  });
  h.stub(RPC.router.generationGet, (d) => {
    const g = own(generations, d.orgId, d.id, 'Generation');
    if (g.api !== 'video') throw notFound('Generation');
    return { ...g.body, output_url: null, cost_cents: null, latency_ms: null, error_message: null, completed_at: null };
  });
  h.stub(RPC.router.generationList, (d) => ({ data: [...generations.values()].filter((g) => g.orgId === d.orgId && g.api === 'video').map((g) => g.body).slice(0, d.limit ?? 20), has_more: false }));
  h.stub(RPC.router.modelsList, () => ({ data: [{ id: 'google/veo-3.1', object: 'model' }] }));
  h.stub(RPC.router.modelGet, (d) => {
    if (d.slug !== 'google/veo-3.1') throw notFound('Model');
    return { id: d.slug, object: 'model' };
  });
  h.stub(RPC.router.enginesList, () => ({ data: [{ id: 'hyperframes' }] }));
  h.stub(RPC.router.rankings, (d) => ({ window_hours: d.windowHours ?? 24, data: [] }));
  const responseObject = (id: string, status: string, model: string) => ({ id, object: 'response', status, model, engine: 'hyperframes', provider: 'framerate', created_at: 1, output: [], output_video_url: null, usage: null });
  h.stub(RPC.router.responseCreate, (d) => {
    const id = rid('gen');
    const body = responseObject(id, 'queued', d.request.model);
    generations.set(id, { orgId: d.orgId, api: 'responses', body });
    return body;
  });
  h.stub(RPC.router.responseGet, (d) => {
    const g = own(generations, d.orgId, d.id, 'Response');
    if (g.api !== 'responses') throw notFound('Response');
    return g.body;
  });
  h.stub(RPC.router.responseCancel, (d) => {
    const g = own(generations, d.orgId, d.id, 'Response');
    if (g.api !== 'responses') throw notFound('Response');
    g.body = { ...g.body, status: 'cancelled' };
    return { ...g.body, cancelled: true };
  });

  h.stub(RPC.billing.balanceGet, (d) => ({ orgId: d.orgId, balance_cents: balances.get(d.orgId) ?? 0, held_cents: 0, available_cents: balances.get(d.orgId) ?? 0, owed_cents: 0 }));
  h.stub(RPC.billing.topupCreate, (d) => {
    balances.set(d.orgId, (balances.get(d.orgId) ?? 0) + d.amountCents);
    const b = balances.get(d.orgId)!;
    return { transactionId: '1', duplicate: false, balance: { orgId: d.orgId, balance_cents: b, held_cents: 0, available_cents: b, owed_cents: 0 } };
  });
  h.stub(RPC.billing.usageList, (d) => ({ balance: { orgId: d.orgId, balance_cents: 0, held_cents: 0, available_cents: 0, owed_cents: 0 }, data: [], next_cursor: null, totals: { per_day: [], per_model: [] } }));
  h.stub(RPC.billing.checkoutCreate, () => ({ id: 'cs_test_1', url: 'https://checkout.stripe.com/c/pay/cs_test_1' }));
  h.stub(RPC.billing.stripeEvent, (d) => {
    if (d.signature !== 'good') throw Object.assign(new Error('Invalid Stripe signature'), { code: 'BAD_REQUEST' });
    return { received: true, eventId: 'evt_1', type: 'checkout.session.completed', credited: true, duplicate: false, transactionId: '2' };
  });

  const endpointView = (id: string) => ({ id, object: 'webhook_endpoint', url: 'https://example.com/h', events: ['video.generation.completed'], enabled: true });
  h.stub(RPC.webhooks.endpointCreate, (d) => {
    const id = rid('ep', true);
    endpoints.set(id, { orgId: d.orgId });
    const dl = rid('dlv', true);
    deliveries.set(dl, { orgId: d.orgId, endpointId: id });
    return { ...endpointView(id), secret: 'whsec_x' };
  });
  h.stub(RPC.webhooks.endpointList, (d) => ({ object: 'list', data: [...endpoints.entries()].filter(([, e]) => e.orgId === d.orgId).map(([id]) => endpointView(id)), has_more: false, next_cursor: null }));
  for (const s of [RPC.webhooks.endpointGet, RPC.webhooks.endpointUpdate, RPC.webhooks.endpointRotate, RPC.webhooks.endpointTest])
    h.stub(s, (d) => {
      own(endpoints, d.orgId, d.id, 'Webhook endpoint');
      return endpointView(d.id);
    });
  h.stub(RPC.webhooks.endpointDelete, (d) => {
    own(endpoints, d.orgId, d.id, 'Webhook endpoint');
    endpoints.delete(d.id);
    return { id: d.id, object: 'webhook_endpoint', deleted: true };
  });
  h.stub(RPC.webhooks.deliveryList, (d) => {
    own(endpoints, d.orgId, d.endpointId, 'Webhook endpoint');
    return { object: 'list', data: [...deliveries.entries()].filter(([, x]) => x.endpointId === d.endpointId).map(([id]) => ({ id, object: 'webhook_delivery' })), has_more: false, next_cursor: null };
  });
  h.stub(RPC.webhooks.deliveryRetry, (d) => {
    own(deliveries, d.orgId, d.id, 'Webhook delivery');
    return { id: d.id, object: 'webhook_delivery', status: 'pending' };
  });
  return { generations, endpoints, deliveries, balances };
}
