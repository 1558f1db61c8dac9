import { createHmac, randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  form: URLSearchParams;
}

/** Hosted checkout: where the stand-in's Pay button sends the signed `checkout.session.completed`. */
export interface HostedCheckoutOptions {
  /** Billing's webhook receiver, e.g. http://localhost:3001/v1/billing/stripe/webhook */
  webhookUrl: string;
  /** The endpoint secret billing verifies with (STRIPE_WEBHOOK_SECRET). */
  webhookSecret: string;
}

interface StoredSession {
  id: string;
  form: URLSearchParams;
  paid: boolean;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Stripe's webhook signature: `t=<unix>,v1=<HMAC-SHA256 of "<t>.<payload>" with the endpoint secret>`. */
export function stripeSignatureHeader(payload: string, secret: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${payload}`, 'utf8').digest('hex')}`;
}

/**
 * A local HTTP server answering the one Stripe endpoint billing calls: POST /v1/checkout/sessions
 * (the `stripe` SDK pointed at it with STRIPE_API_BASE). Used by billing's tests and the end-to-end runs,
 * where api.stripe.com cannot be reached. Without `hosted`, webhooks need no server: tests sign events
 * with the SDK. With `hosted` (embedded mode, the dashboard's e2e), a session's `url` is the stand-in's
 * own checkout page (`GET /c/pay/{id}`): its Pay button sends the signed `checkout.session.completed`
 * to billing, as Stripe would, then redirects to the session's success_url.
 */
export class StripeStandIn {
  private readonly sessions = new Map<string, StoredSession>();
  private base = '';

  constructor(private readonly o: { hosted?: HostedCheckoutOptions; port?: number; host?: string } = {}) {}

  readonly requests: RecordedRequest[] = [];
  private server?: Server;
  private n = 0;
  /** When set, the next request is answered with this Stripe-style error. */
  failNext?: { status: number; type: string; message: string };

  async start(): Promise<string> {
    this.server = createServer(async (req, res) => {
      const body = await readBody(req);
      const form = new URLSearchParams(body);
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, form });
      if (this.o.hosted && req.url?.startsWith('/c/pay/')) return this.hostedPage(req, res);
      res.setHeader('content-type', 'application/json');
      if (this.failNext) {
        const f = this.failNext;
        this.failNext = undefined;
        res.statusCode = f.status;
        res.end(JSON.stringify({ error: { type: f.type, message: f.message } }));
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/checkout/sessions') {
        res.statusCode = 404;
        res.end(JSON.stringify({ error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${req.url})` } }));
        return;
      }
      const id = this.o.hosted ? `cs_test_${randomBytes(12).toString('hex')}` : `cs_test_${++this.n}`;
      this.sessions.set(id, { id, form, paid: false });
      res.end(
        JSON.stringify({
          id,
          object: 'checkout.session',
          mode: form.get('mode'),
          client_reference_id: form.get('client_reference_id'),
          amount_total: Number(form.get('line_items[0][price_data][unit_amount]')),
          currency: form.get('line_items[0][price_data][currency]'),
          metadata: metadataOf(form),
          payment_status: 'unpaid',
          status: 'open',
          success_url: form.get('success_url'),
          cancel_url: form.get('cancel_url'),
          url: this.o.hosted ? `${this.base}/c/pay/${id}` : `https://checkout.stripe.com/c/pay/${id}`,
        }),
      );
    });
    await new Promise<void>((r) => this.server!.listen(this.o.port ?? 0, this.o.host ?? '127.0.0.1', () => r()));
    this.base = `http://${this.o.host ?? '127.0.0.1'}:${(this.server.address() as AddressInfo).port}`;
    return this.base;
  }

  /** GET /c/pay/{id}: the checkout page; POST /c/pay/{id}: pay (signed webhook to billing, then 303 to success_url). */
  private async hostedPage(req: IncomingMessage, res: ServerResponse) {
    const m = /^\/c\/pay\/(cs_test_[A-Za-z0-9]+)$/.exec((req.url ?? '').split('?')[0]);
    const session = m ? this.sessions.get(m[1]) : undefined;
    const html = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'x-content-type-options': 'nosniff' });
      res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Stripe sandbox checkout</title></head><body><main>${body}</main></body></html>`);
    };
    if (!session) return html(404, '<h1>Checkout session not found</h1>');
    const form = session.form;
    const amount = Number(form.get('line_items[0][price_data][unit_amount]'));
    const currency = (form.get('line_items[0][price_data][currency]') ?? 'usd').toUpperCase();
    if (req.method === 'GET') {
      if (session.paid) return html(200, '<h1>Already paid</h1>');
      return html(
        200,
        `<h1>Stripe sandbox checkout</h1><p>${escapeHtml(form.get('line_items[0][price_data][product_data][name]') ?? 'Credits')}: <strong>${(amount / 100).toFixed(2)} ${escapeHtml(currency)}</strong></p>` +
          `<form method="post" action="/c/pay/${session.id}"><button type="submit">Pay</button></form>` +
          `<p><a href="${escapeHtml(form.get('cancel_url') ?? '/')}">Cancel</a></p><p>Local sandbox: no card is charged.</p>`,
      );
    }
    if (req.method !== 'POST') return html(405, '<h1>Method not allowed</h1>');
    // (The body, if any, was read by the server's handler already.)
    if (!session.paid) {
      const object = {
        id: session.id,
        object: 'checkout.session',
        mode: form.get('mode'),
        client_reference_id: form.get('client_reference_id'),
        amount_total: amount,
        currency: currency.toLowerCase(),
        metadata: metadataOf(form),
        payment_intent: `pi_test_${randomBytes(12).toString('hex')}`,
        payment_status: 'paid',
        status: 'complete',
        success_url: form.get('success_url'),
        cancel_url: form.get('cancel_url'),
      };
      const event = { id: `evt_test_${randomBytes(12).toString('hex')}`, object: 'event', api_version: '2024-06-20', created: Math.floor(Date.now() / 1000), livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type: 'checkout.session.completed', data: { object } };
      const payload = JSON.stringify(event);
      const sent = await fetch(this.o.hosted!.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignatureHeader(payload, this.o.hosted!.webhookSecret) }, body: payload }).catch((err: Error) => err);
      if (sent instanceof Error || !sent.ok) {
        return html(502, `<h1>Payment not confirmed</h1><p>The webhook to ${escapeHtml(this.o.hosted!.webhookUrl)} failed (${escapeHtml(sent instanceof Error ? sent.message : String(sent.status))}). Reload to retry.</p>`);
      }
      session.paid = true;
    }
    const success = (form.get('success_url') ?? '/').replace('{CHECKOUT_SESSION_ID}', session.id);
    res.writeHead(303, { location: success });
    res.end();
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** Every `metadata[k]` field of a create form, as Stripe returns them. */
function metadataOf(form: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of form) {
    const m = /^metadata\[(.+)\]$/.exec(k);
    if (m) out[m[1]] = v;
  }
  return out;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
