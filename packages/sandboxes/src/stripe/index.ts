import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  form: URLSearchParams;
}

/**
 * A local HTTP server answering the one Stripe endpoint billing calls: POST /v1/checkout/sessions
 * (the `stripe` SDK pointed at it with STRIPE_API_BASE). Used by billing's tests and the end-to-end runs,
 * where api.stripe.com cannot be reached. Webhooks need no server: tests sign events with the SDK.
 */
export class StripeStandIn {
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
      const id = `cs_test_${++this.n}`;
      res.end(
        JSON.stringify({
          id,
          object: 'checkout.session',
          mode: form.get('mode'),
          client_reference_id: form.get('client_reference_id'),
          amount_total: Number(form.get('line_items[0][price_data][unit_amount]')),
          currency: form.get('line_items[0][price_data][currency]'),
          metadata: { orgId: form.get('metadata[orgId]') },
          payment_status: 'unpaid',
          status: 'open',
          success_url: form.get('success_url'),
          cancel_url: form.get('cancel_url'),
          url: `https://checkout.stripe.com/c/pay/${id}`,
        }),
      );
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
