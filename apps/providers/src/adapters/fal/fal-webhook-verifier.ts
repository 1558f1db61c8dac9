import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { KeyCache, KeysUnavailableError } from '../common/key-cache';
import { header, ProviderHttp } from '../common/provider-http';
import type { CallbackRefusal } from '../provider-adapter';

export interface FalVerifierOptions {
  jwksUrl: string;
  http: ProviderHttp;
  toleranceSeconds: number;
  /** fal's examples cache the JWKS for 24 h. */
  jwksTtlMs: number;
  minRefreshIntervalMs: number;
  /** Stale keys are used at most this long after their fetch when refetching fails (default 2 × jwksTtlMs). */
  jwksMaxAgeMs?: number;
  /**
   * Our fal account's user id (FAL_USER_ID): a callback fal signed for another account — someone else's
   * job pointed at our callback URL — is refused. Unset: any fal account's signed callback is accepted.
   */
  expectedUserId?: string;
  now?: () => number;
}

export type FalVerdict = { ok: true; requestId: string } | { ok: false; reason: CallbackRefusal; message: string };

/**
 * fal webhook signatures (ED25519). fal signs four UTF-8 lines:
 * `request_id \n user_id \n timestamp \n hex(sha256(raw body))` and sends the hex signature in
 * X-Fal-Webhook-Signature. The public keys are a JWKS (OKP/Ed25519) at a configurable URL; the
 * header carries no key id, so every key is tried. A signature no cached key verifies triggers one
 * (rate-limited) JWKS refresh, which is how a key rotation is picked up.
 */
export class FalWebhookVerifier {
  private readonly keys: KeyCache<KeyObject[]>;
  private readonly now: () => number;

  constructor(private readonly o: FalVerifierOptions) {
    this.now = o.now ?? Date.now;
    this.keys = new KeyCache(() => this.fetchJwks(), { ttlMs: o.jwksTtlMs, minRefreshIntervalMs: o.minRefreshIntervalMs, maxAgeMs: o.jwksMaxAgeMs, now: this.now });
  }

  /**
   * `expectedUserId` overrides the configured account for one callback (a job on an org's own key is
   * signed for the org's fal account; null: that account's id is unknown, any fal account is accepted).
   */
  async verify(headers: Record<string, string | string[] | undefined>, rawBody: Buffer, expectedUserId?: string | null): Promise<FalVerdict> {
    const expected = expectedUserId === undefined ? this.o.expectedUserId : (expectedUserId ?? undefined);
    const requestId = header(headers, 'x-fal-webhook-request-id');
    const userId = header(headers, 'x-fal-webhook-user-id');
    const timestamp = header(headers, 'x-fal-webhook-timestamp');
    const signature = header(headers, 'x-fal-webhook-signature');
    if (!requestId || !userId || !timestamp || !signature) return { ok: false, reason: 'bad_signature', message: 'missing X-Fal-Webhook-* headers' };
    if (!/^\d+$/.test(timestamp)) return { ok: false, reason: 'bad_signature', message: 'malformed X-Fal-Webhook-Timestamp' };
    const skew = Math.abs(this.now() / 1000 - Number(timestamp));
    if (skew > this.o.toleranceSeconds) return { ok: false, reason: 'expired', message: `timestamp is ${Math.round(skew)} s away from now (tolerance ${this.o.toleranceSeconds} s)` };
    if (!/^[0-9a-fA-F]{128}$/.test(signature)) return { ok: false, reason: 'bad_signature', message: 'malformed X-Fal-Webhook-Signature' };

    const message = Buffer.from([requestId, userId, timestamp, createHash('sha256').update(rawBody).digest('hex')].join('\n'), 'utf8');
    const sig = Buffer.from(signature, 'hex');
    let keys: KeyObject[];
    try {
      keys = await this.keys.get();
    } catch (err) {
      return { ok: false, reason: 'keys_unavailable', message: `fal JWKS unavailable: ${(err as Error).message}` };
    }
    if (matches(keys, message, sig)) return this.forAccount(requestId, userId, expected);
    // Maybe fal rotated its key: refetch once (rate-limited), then decide.
    if (this.keys.canRefresh()) {
      const fresh = await this.keys.refresh();
      if (fresh && matches(fresh, message, sig)) return this.forAccount(requestId, userId, expected);
    }
    return { ok: false, reason: 'bad_signature', message: 'signature does not verify with any fal JWKS key' };
  }

  /** A genuine fal signature still names the account it was sent for: it must be the job's. */
  private forAccount(requestId: string, userId: string, expected: string | undefined): FalVerdict {
    if (expected !== undefined && userId !== expected) {
      return { ok: false, reason: 'wrong_account', message: `callback was signed for fal user ${JSON.stringify(userId.slice(0, 100))}, not for the account the job ran on` };
    }
    return { ok: true, requestId };
  }

  private async fetchJwks(): Promise<KeyObject[]> {
    let answer;
    try {
      answer = await this.o.http.send('jwks', { method: 'GET', url: this.o.jwksUrl });
    } catch (err) {
      throw new KeysUnavailableError((err as Error).message);
    }
    if (answer.status !== 200) throw new KeysUnavailableError(`JWKS answered HTTP ${answer.status}`);
    const list = (answer.json as { keys?: unknown } | undefined)?.keys;
    if (!Array.isArray(list)) throw new KeysUnavailableError('JWKS has no keys array');
    const keys: KeyObject[] = [];
    for (const jwk of list) {
      if (!jwk || typeof jwk !== 'object' || (jwk as any).kty !== 'OKP' || (jwk as any).crv !== 'Ed25519' || typeof (jwk as any).x !== 'string') continue;
      try {
        keys.push(createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: (jwk as any).x }, format: 'jwk' }));
      } catch {
        // a malformed key is skipped; the others may still verify
      }
    }
    if (!keys.length) throw new KeysUnavailableError('JWKS has no usable Ed25519 key');
    return keys;
  }
}

function matches(keys: KeyObject[], message: Buffer, sig: Buffer): boolean {
  return keys.some((k) => {
    try {
      return verify(null, message, k, sig);
    } catch {
      return false;
    }
  });
}
