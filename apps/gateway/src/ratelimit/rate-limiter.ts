import type { DataSource } from 'typeorm';
import { LeaseStore, TokenLeaseLimiter } from './token-lease-limiter';

export type { RateDecision } from './token-lease-limiter';

/**
 * The shared counters in PostgreSQL, so every gateway replica draws on the same budget: one atomic
 * `INSERT … ON CONFLICT DO UPDATE … RETURNING` per lease (not per request), the window taken from
 * the database clock. No Redis: embedded mode needs only Node. The table is unlogged (a lost count
 * after a crash is harmless).
 */
export class PostgresLeaseStore implements LeaseStore {
  private lastSweep = 0;
  constructor(private readonly ds: DataSource) {}

  async lease(bucket: string, tokens: number, windowSeconds: number) {
    const [r] = await this.ds.query(
      `INSERT INTO rate_limit_counters (bucket, window_start, count)
         VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), $3)
       ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limit_counters.count + $3
       RETURNING count, extract(epoch FROM window_start)::float8 AS window_start, extract(epoch FROM now())::float8 AS now`,
      [bucket, windowSeconds, tokens],
    );
    this.maybeSweep(windowSeconds);
    return { count: Number(r.count), windowStart: Number(r.window_start), now: Number(r.now) };
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
    if (Date.now() - this.lastSweep > 60_000) {
      this.lastSweep = Date.now();
      this.limiter.sweep();
    }
    return this.limiter.hit(bucket, limit);
  }
}
