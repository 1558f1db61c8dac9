/**
 * Per-key sliding-window rate limiting shared by every gateway replica, without a database write per
 * request. The shared counter (see `LeaseStore`) counts tokens *leased* to replicas per one-minute
 * window; a replica leases a batch, serves requests from it locally, and leases again when it runs out.
 *
 * - Sliding, not fixed: the store grants a window's tokens up to the limit minus the previous
 *   window's count weighted by how much of it still lies within the last minute (the usual
 *   sliding-window counter). A burst at the end of one window and another at the start of the next
 *   cannot add up to twice the limit: after a full window the next one admits at the limit's pace,
 *   not all at once. It is an approximation (it assumes the previous window's requests were spread
 *   evenly), not an exact log of the last 60 seconds.
 * - Never over-admits: a replica only admits requests it holds a leased token for, and the store
 *   grants no more than that allowance.
 * - Cheap for hot keys, exact for quiet ones: the batch starts at 1 token each window and doubles
 *   with each lease up to `limit / 20` (at most `maxBatch`), so a key making a few requests leases
 *   one at a time and a key making thousands costs one write per batch.
 * - The cost of that: tokens another replica leased but did not use are lost to this window (at
 *   most one batch per replica), and `remaining` counts them as spent.
 * - The window comes from the store's clock, not the replica's; the replica tracks the offset.
 *
 * Plain class over a port, so the arithmetic is unit-tested without PostgreSQL.
 */
export interface LeaseResult {
  /** Tokens granted now (0 … asked). */
  granted: number;
  /** The current window's counter after the grant (tokens leased by every replica). */
  leased: number;
  /** The previous window's final count. */
  previous: number;
  /** Start of the current window and the store's now, Unix seconds. */
  windowStart: number;
  now: number;
}

export interface LeaseStore {
  /**
   * Grants up to `tokens` from the bucket's allowance in the window containing the store's now —
   * `limit` minus the previous window's count weighted by its overlap with the last `windowSeconds` —
   * atomically, adding only what it grants to the counter.
   */
  lease(bucket: string, tokens: number, windowSeconds: number, limit: number): Promise<LeaseResult>;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds when the current window ends. */
  resetAt: number;
  /** Whole seconds until the window ends (≥ 1). */
  retryAfterSeconds: number;
}

interface BucketState {
  windowStart: number;
  limit: number;
  /** Tokens this replica holds and has not spent yet. */
  tokens: number;
  /** The shared counter as last seen (tokens leased by every replica). */
  leased: number;
  /** The previous window's count, as the store last said. */
  previous: number;
  /** Size of the next lease. */
  nextBatch: number;
  /** Store time before which the allowance is spent (0: not spent): refuse locally until then. */
  retryAt: number;
  /** A lease in flight; concurrent requests wait for it instead of leasing too. */
  pending?: Promise<number>;
}

export class TokenLeaseLimiter {
  private readonly buckets = new Map<string, BucketState>();
  /** Store clock minus local clock, in seconds. */
  private clockOffset = 0;

  constructor(
    private readonly store: LeaseStore,
    private readonly windowSeconds = 60,
    private readonly maxBatch = 256,
    private readonly localNow: () => number = () => Date.now() / 1000,
  ) {}

  async hit(bucket: string, limit: number): Promise<RateDecision> {
    for (;;) {
      const s = this.current(bucket, limit);
      if (s && s.tokens > 0) {
        s.tokens -= 1;
        return this.decision(s, true);
      }
      if (s?.pending) {
        await s.pending;
        continue;
      }
      if (s && s.retryAt > this.storeNow()) return this.decision(s, false);
      const { state, granted } = await this.lease(bucket, limit, s);
      // Nothing granted: refused. Something granted: take one (unless concurrent requests beat us to it, then lease again).
      if (granted === 0) return this.decision(state, false);
    }
  }

  /**
   * `hit` when it can be decided without waiting: this replica holds a token (spent now), or the
   * allowance is known to be spent. Undefined when only `hit` can tell (a lease is needed or in
   * flight). Lets a hot path answer without a promise.
   */
  hitNow(bucket: string, limit: number): RateDecision | undefined {
    const s = this.current(bucket, limit);
    if (!s) return undefined;
    if (s.tokens > 0) {
      s.tokens -= 1;
      return this.decision(s, true);
    }
    if (!s.pending && s.retryAt > this.storeNow()) return this.decision(s, false);
    return undefined;
  }

  /** Buckets of windows that ended are dropped; call now and then. */
  sweep(): void {
    const now = this.storeNow();
    for (const [k, s] of this.buckets) if (s.windowStart + this.windowSeconds <= now && !s.pending) this.buckets.delete(k);
  }

  /** The bucket's state if it belongs to the window in force and to the same limit. */
  private current(bucket: string, limit: number): BucketState | undefined {
    const s = this.buckets.get(bucket);
    if (!s) return undefined;
    if (s.pending) return s;
    // A changed limit (key or org updated) starts over from the shared counter.
    if (s.limit !== limit || this.storeNow() >= s.windowStart + this.windowSeconds) return undefined;
    return s;
  }

  private async lease(bucket: string, limit: number, prior: BucketState | undefined): Promise<{ state: BucketState; granted: number }> {
    const batch = Math.max(1, Math.min(prior?.nextBatch ?? 1, this.batchCap(limit)));
    const state: BucketState = prior ?? { windowStart: 0, limit, tokens: 0, leased: 0, previous: 0, nextBatch: 1, retryAt: 0 };
    this.buckets.set(bucket, state);
    const sentAt = this.localNow();
    const pending = this.store.lease(bucket, batch, this.windowSeconds, limit).then((r) => {
      this.clockOffset = r.now - (sentAt + this.localNow()) / 2;
      const sameWindow = state.windowStart === r.windowStart && state.limit === limit;
      state.tokens = (sameWindow ? state.tokens : 0) + r.granted;
      state.nextBatch = sameWindow ? batch * 2 : 2;
      state.windowStart = r.windowStart;
      state.limit = limit;
      state.leased = r.leased;
      state.previous = r.previous;
      // Fewer tokens than asked for: the allowance is spent for everyone until it grows again.
      state.retryAt = r.granted < batch ? Math.max(r.now + 0.05, this.nextTokenAt(state)) : 0;
      return r.granted;
    });
    state.pending = pending;
    try {
      return { state, granted: await pending };
    } catch (err) {
      // A failed lease leaves no state behind: the next request tries again.
      if (this.buckets.get(bucket) === state && state.tokens === 0) this.buckets.delete(bucket);
      throw err;
    } finally {
      state.pending = undefined;
    }
  }

  /** The window's allowance at store time `t`: the limit minus the previous window's weighted count. */
  private allowance(s: BucketState, t: number): number {
    const elapsed = Math.min(1, Math.max(0, (t - s.windowStart) / this.windowSeconds));
    return s.limit - Math.floor(s.previous * (1 - elapsed));
  }

  /** When the allowance will exceed what is leased (the window's end at the latest). */
  private nextTokenAt(s: BucketState): number {
    const end = s.windowStart + this.windowSeconds;
    const room = s.limit - s.leased;
    if (room <= 0 || s.previous <= 0) return end;
    return Math.min(end, s.windowStart + this.windowSeconds * (1 - room / s.previous));
  }

  private batchCap(limit: number): number {
    return Math.max(1, Math.min(this.maxBatch, Math.floor(limit / 20)));
  }

  private decision(s: BucketState, allowed: boolean): RateDecision {
    const now = this.storeNow();
    const resetAt = s.windowStart + this.windowSeconds;
    return {
      allowed,
      limit: s.limit,
      // The allowance nobody has leased yet plus the tokens this replica still holds.
      remaining: Math.min(s.limit, Math.max(0, this.allowance(s, now) - s.leased) + s.tokens),
      resetAt: Math.round(resetAt),
      retryAfterSeconds: Math.max(1, Math.ceil((allowed ? resetAt : s.retryAt || resetAt) - now)),
    };
  }

  private storeNow(): number {
    return this.localNow() + this.clockOffset;
  }
}
