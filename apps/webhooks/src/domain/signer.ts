import { Webhook } from 'standardwebhooks';

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Standard Webhooks signatures: HMAC-SHA256 over `<id>.<timestamp>.<body>`, sent as `v1,<base64>`.
 * During a rotation's overlap window every active secret signs, space-separated, so a receiver still
 * configured with the old secret keeps verifying. Secret → Webhook objects are cached (decoding is
 * per secret, not per delivery).
 */
export class Signer {
  private readonly cache = new Map<string, Webhook>();

  sign(messageId: string, at: Date, body: string, secrets: string[]): SignedHeaders {
    if (!secrets.length) throw new Error('no signing secret');
    const signatures = secrets.map((s) => this.webhook(s).sign(messageId, at, body));
    return {
      'webhook-id': messageId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signatures.join(' '),
    };
  }

  private webhook(secret: string): Webhook {
    let wh = this.cache.get(secret);
    if (!wh) {
      if (this.cache.size > 10_000) this.cache.clear();
      wh = new Webhook(secret);
      this.cache.set(secret, wh);
    }
    return wh;
  }
}
