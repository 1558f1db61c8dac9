import type { DataSource } from 'typeorm';
import { LeaseResult, LeaseStore, TokenLeaseLimiter } from './token-lease-limiter';

export type { RateDecision } from './token-lease-limiter';

/**
 * The shared counters in PostgreSQL, so every gateway replica draws on the same budget: one call of
 * the `rate_lease` SQL function per lease (not per request; it locks the window's row and grants
 * only what is left of the sliding allowance), windows on the database clock. No Redis: embedded
 * mode needs only Node. The table is unlogged (a lost count after a crash is harmless).
 */
export class PostgresLeaseStore implements LeaseStore {
  private lastSweep = 0;
  constructor(private readonly ds: DataSource) {}

  async lease(bucket: string, tokens: number, windowSeconds: number, limit: number): Promise<LeaseResult> {
    const [r] = await this.ds.query(`SELECT * FROM rate_lease($1, $2, $3, $4)`, [bucket, tokens, windowSeconds, limit]);
    this.maybeSweep(windowSeconds);
    return { granted: r.granted, leased: r.leased, previous: r.previous, windowStart: Number(r.win_start), now: Number(r.now_s) };
  }

  /** Old windows are useless once over: delete them now and then (at most once a minute per replica). */
  private maybeSweep(windowSeconds: number) {
    const t = Date.now();
    if (t - this.lastSweep < 60_000) return;
    this.lastSweep = t;
    this.ds.query(`DELETE FROM rate_limit_counters WHERE window_start < now() - make_interval(secs => $1)`, [windowSeconds * 2]).catch(() => undefined);
  }
}

/** The gateway's per-key limiter: token leases over the shared PostgreSQL counters. */
export class RateLimiter {
  private readonly limiter: TokenLeaseLimiter;
  private lastSweep = Date.now();

  constructor(ds: DataSource, windowSeconds = 60) {
    this.limiter = new TokenLeaseLimiter(new PostgresLeaseStore(ds), windowSeconds);
  }

  hit(bucket: string, limit: number) {
    this.maybeSweep();
    return this.limiter.hit(bucket, limit);
  }

  /** `hit` when a token is at hand (see `TokenLeaseLimiter.hitNow`), else undefined. */
  hitNow(bucket: string, limit: number) {
    this.maybeSweep();
    return this.limiter.hitNow(bucket, limit);
  }

  private maybeSweep() {
    if (Date.now() - this.lastSweep > 60_000) {
      this.lastSweep = Date.now();
      this.limiter.sweep();
    }
  }
}
