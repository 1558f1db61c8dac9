import { type KeySpendReply, RPC } from '@pipevideo/contracts';
import { logger } from '@pipevideo/platform';
import type { Downstream } from '../downstream';
import type { ApiKeyView } from './org.service';

/** A key as `GET /v1/keys` shows it: with what is left of its spend limit in the current period. */
export interface ApiKeyWithRemaining extends ApiKeyView {
  /** limit_cents minus what the key spent or holds (running jobs) in the current period; null without a limit (or while billing cannot tell). */
  limit_remaining_cents: number | null;
  /** When the current period ends (unix seconds); null without a limit or for `limit_reset: none`. */
  limit_resets_at: number | null;
}

/**
 * Adds the remaining spend limit to key views, from billing (which enforces the limit on every hold,
 * so it is the one that knows what a key spent). Billing unreachable: the keys are still listed, with
 * `limit_remaining_cents: null` — key management must not depend on billing being up.
 */
export class KeyLimitsView {
  constructor(private readonly downstream: Downstream) {}

  async withRemaining(orgId: string, keys: ApiKeyView[]): Promise<ApiKeyWithRemaining[]> {
    const limited = keys.filter((k) => k.limit_cents !== null);
    let spend: KeySpendReply['data'] = [];
    if (limited.length) {
      try {
        spend = (await this.downstream.call(RPC.billing.keySpend, { orgId, keys: limited.map((k) => ({ keyId: k.id, reset: k.limit_reset ?? 'none' })) })).data;
      } catch (err) {
        logger.warn({ orgId, err: String(err) }, 'key spend unavailable: listing keys without their remaining limit');
      }
    }
    return keys.map((k) => {
      const s = spend.find((x) => x.keyId === k.id);
      return {
        ...k,
        limit_remaining_cents: k.limit_cents !== null && s ? Math.max(0, k.limit_cents - s.spentCents) : null,
        limit_resets_at: s?.resetsAt ? Math.floor(new Date(s.resetsAt).getTime() / 1000) : null,
      };
    });
  }
}
