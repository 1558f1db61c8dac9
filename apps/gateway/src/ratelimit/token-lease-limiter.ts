/**
 * Per-key fixed-window rate limiting shared by every gateway replica, without a database write per
 * request. The shared counter (see `LeaseStore`) counts tokens *leased* to replicas in the window; a
 * replica leases a batch, serves requests from it locally, and leases again when it runs out.
 *
 * - Never over-admits: a replica only admits requests it holds a leased token for, and the store
 *   hands out at most `limit` tokens per window in total.
 * - Cheap for hot keys, exact for quiet ones: the batch starts at 1 token each window and doubles
 *   with each lease up to `limit / 20` (at most `maxBatch`), so a key making a few requests leases
 *   one at a time and a key making thousands costs one write per batch.
 * - The cost of that: tokens another replica leased but did not use are lost to this window (at
 *   most one batch per replica), and `remaining` counts them as spent.
 * - The window comes from the store's clock, not the replica's; the replica tracks the offset.
 *
 * Plain class over a port, so the arithmetic is unit-tested without PostgreSQL.
 */
export interface LeaseStore {
  /**
   * Adds `tokens` to the bucket's counter for the window that contains the store's "now" and
   * returns the counter after the addition, that window's start and the store's now (Unix seconds).
   */
  lease(bucket: string, tokens: number, windowSeconds: number): Promise<{ count: number; windowStart: number; now: number }>;
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
  leasedTotal: number;
  /** Size of the next lease. */
  nextBatch: number;
  /** The store said the window is spent: refuse locally until it ends. */
  exhausted: boolean;
  /** A lease in flight; concurrent requests wait for it instead of leasing too. */
  pending?: Promise<void>;
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
      if (s && s.exhausted) return this.decision(s, false);
      if (s?.pending) {
        await s.pending;
        continue;
      }
      await this.lease(bucket, limit, s);
    }
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

  private lease(bucket: string, limit: number, prior: BucketState | undefined): Promise<void> {
    const batch = Math.max(1, Math.min(prior?.nextBatch ?? 1, this.batchCap(limit)));
    const state: BucketState = prior ?? { windowStart: 0, limit, tokens: 0, leasedTotal: 0, nextBatch: 1, exhausted: false };
    this.buckets.set(bucket, state);
    const sentAt = this.localNow();
    state.pending = this.store
      .lease(bucket, batch, this.windowSeconds)
      .then((r) => {
        this.clockOffset = r.now - (sentAt + this.localNow()) / 2;
        const before = r.count - batch;
        const granted = Math.max(0, Math.min(batch, limit - before));
        const sameWindow = state.windowStart === r.windowStart && state.limit === limit;
        state.tokens = (sameWindow ? state.tokens : 0) + granted;
        state.nextBatch = sameWindow ? batch * 2 : 2;
        state.windowStart = r.windowStart;
        state.limit = limit;
        state.leasedTotal = r.count;
        // Fewer tokens than asked for: the window is spent for everyone.
        state.exhausted = granted < batch;
      })
      .finally(() => {
        state.pending = undefined;
      });
    // A failed lease leaves no state behind: the next request tries again.
    state.pending.catch(() => this.buckets.get(bucket) === state && state.tokens === 0 && this.buckets.delete(bucket));
    return state.pending;
  }

  private batchCap(limit: number): number {
    return Math.max(1, Math.min(this.maxBatch, Math.floor(limit / 20)));
  }

  private decision(s: BucketState, allowed: boolean): RateDecision {
    const resetAt = s.windowStart + this.windowSeconds;
    return {
      allowed,
      limit: s.limit,
      // Tokens nobody has leased yet plus the ones this replica still holds.
      remaining: Math.min(s.limit, Math.max(0, s.limit - s.leasedTotal) + s.tokens),
      resetAt: Math.round(resetAt),
      retryAfterSeconds: Math.max(1, Math.ceil(resetAt - this.storeNow())),
    };
  }

  private storeNow(): number {
    return this.localNow() + this.clockOffset;
  }
}
