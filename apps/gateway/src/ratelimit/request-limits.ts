import type { Principal } from '../auth/key-authenticator';
import type { RateDecision } from './token-lease-limiter';

/** Which limit a decision is about: the key's, the org's (sum over its keys) or the client IP's. */
export type LimitScope = 'key' | 'org' | 'ip';

export interface ScopedDecision extends RateDecision {
  scope: LimitScope;
}

/** The shared limiter as these rules use it (RateLimiter: token leases over PostgreSQL). */
export interface BucketLimiter {
  hit(bucket: string, limit: number): Promise<RateDecision>;
  /** The decision when it needs no waiting, else undefined (then `hit`). */
  hitNow?(bucket: string, limit: number): RateDecision | undefined;
}

/**
 * The gateway's request limits, each a sliding one-minute window shared by every replica:
 * - a keyed request spends one token of its key's bucket and one of its org's (the org's limit caps the
 *   sum over all its keys, so minting keys buys nothing); it is refused when either is spent;
 * - a request without a valid key (public endpoints, failed authentications) spends one token of its
 *   client IP's bucket. The IP is Fastify's `req.ip`: the socket's address, or the address a trusted
 *   proxy (PIPEVIDEO_TRUSTED_PROXIES, CIDRs) put in X-Forwarded-For — never a header from anyone else.
 * The decision shown in X-RateLimit-* is the tighter of the two (the one with less remaining, or the refusal).
 */
export class RequestLimits {
  constructor(
    private readonly limiter: BucketLimiter,
    private readonly ipLimitPerMinute: number,
  ) {}

  async forKey(p: Principal): Promise<ScopedDecision> {
    const key: ScopedDecision = { ...(await this.limiter.hit(`key:${p.keyId}`, p.rateLimitPerMinute)), scope: 'key' };
    // A refusal by the key's own limit leaves the org's budget alone: the org's other keys keep it.
    if (!key.allowed) return key;
    const org: ScopedDecision = { ...(await this.limiter.hit(`org:${p.orgId}`, p.orgRateLimitPerMinute)), scope: 'org' };
    if (!org.allowed) return org;
    return org.remaining < key.remaining ? org : key;
  }

  async forIp(ip: string): Promise<ScopedDecision> {
    return { ...(await this.limiter.hit(`ip:${ip}`, this.ipLimitPerMinute)), scope: 'ip' };
  }

  /** `forIp` without waiting when the replica holds a token of the IP's bucket (the common case), else undefined. */
  forIpNow(ip: string): RateDecision | undefined {
    return this.limiter.hitNow?.(`ip:${ip}`, this.ipLimitPerMinute);
  }
}

/** The 429 message: which limit, how much, when to come back. */
export function limitMessage(d: ScopedDecision): string {
  const what = d.scope === 'key' ? 'for this API key' : d.scope === 'org' ? "for this organization (all of its API keys together)" : 'for unauthenticated requests from this IP address';
  return `Rate limit exceeded: ${d.limit} requests per minute ${what}. Retry after ${d.retryAfterSeconds} s.`;
}
