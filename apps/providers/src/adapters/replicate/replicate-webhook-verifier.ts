import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { KeyCache } from '../common/key-cache';
import { header } from '../common/provider-http';
import type { CallbackRefusal } from '../provider-adapter';

export interface ReplicateVerifierOptions {
  /** `whsec_…` from configuration; when absent the secret is fetched with `fetchSecret` and cached. */
  configuredSecret?: string;
  fetchSecret: () => Promise<string>;
  toleranceSeconds: number;
  secretTtlMs: number;
  minRefreshIntervalMs: number;
  now?: () => number;
}

export type ReplicateVerdict = { ok: true; webhookId: string } | { ok: false; reason: CallbackRefusal; message: string };

/**
 * Replicate webhooks are signed the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64 HMAC-SHA256(id.ts.body)>`, key = base64 of the `whsec_` secret);
 * the `standardwebhooks` package checks the HMAC in constant time. We check the timestamp first
 * (our tolerance, at most the package's own 5 minutes) so an old message is reported as expired
 * without fetching any secret. A fetched secret that fails to verify is refetched once
 * (rate-limited): Replicate may have rotated it.
 */
export class ReplicateWebhookVerifier {
  private readonly secret?: KeyCache<string>;
  private readonly now: () => number;

  constructor(private readonly o: ReplicateVerifierOptions) {
    this.now = o.now ?? Date.now;
    if (!o.configuredSecret) this.secret = new KeyCache(o.fetchSecret, { ttlMs: o.secretTtlMs, minRefreshIntervalMs: o.minRefreshIntervalMs, now: this.now });
  }

  async verify(headers: Record<string, string | string[] | undefined>, rawBody: Buffer): Promise<ReplicateVerdict> {
    const id = header(headers, 'webhook-id');
    const ts = header(headers, 'webhook-timestamp');
    const sig = header(headers, 'webhook-signature');
    if (!id || !ts || !sig) return { ok: false, reason: 'bad_signature', message: 'missing webhook-id / webhook-timestamp / webhook-signature' };
    if (!/^\d+$/.test(ts)) return { ok: false, reason: 'bad_signature', message: 'malformed webhook-timestamp' };
    const skew = Math.abs(this.now() / 1000 - Number(ts));
    if (skew > this.o.toleranceSeconds) return { ok: false, reason: 'expired', message: `timestamp is ${Math.round(skew)} s away from now (tolerance ${this.o.toleranceSeconds} s)` };

    let secret: string;
    try {
      secret = this.o.configuredSecret ?? (await this.secret!.get());
    } catch (err) {
      return { ok: false, reason: 'keys_unavailable', message: `Replicate webhook secret unavailable: ${(err as Error).message}` };
    }
    const first = check(secret, rawBody, { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sig });
    if (first === 'ok') return { ok: true, webhookId: id };
    if (first === 'expired') return { ok: false, reason: 'expired', message: 'timestamp outside the Standard Webhooks tolerance' };
    if (this.secret?.canRefresh()) {
      const fresh = await this.secret.refresh();
      if (fresh && fresh !== secret && check(fresh, rawBody, { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sig }) === 'ok') {
        return { ok: true, webhookId: id };
      }
    }
    return { ok: false, reason: 'bad_signature', message: 'no webhook-signature matches the Replicate webhook secret' };
  }
}

function check(secret: string, rawBody: Buffer, headers: Record<string, string>): 'ok' | 'expired' | 'bad' {
  try {
    new Webhook(secret).verify(rawBody.toString('utf8'), headers, { jsonParse: false });
    return 'ok';
  } catch (err) {
    if (err instanceof WebhookVerificationError && /timestamp too (old|new)/i.test(err.message)) return 'expired';
    return 'bad';
  }
}
