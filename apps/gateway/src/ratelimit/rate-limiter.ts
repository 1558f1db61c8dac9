import type { DataSource } from 'typeorm';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds when the current window ends. */
  resetAt: number;
  /** Whole seconds until the window ends (≥ 1). */
  retryAfterSeconds: number;
}

/**
 * Fixed one-minute windows counted in PostgreSQL, so every gateway replica shares the same
 * counters: one atomic `INSERT … ON CONFLICT DO UPDATE … RETURNING` per request, the window taken
 * from the database clock (replicas' clocks may differ). No Redis: embedded mode needs only Node.
 */
export class RateLimiter {
  private lastSweep = 0;
  constructor(
    private readonly ds: DataSource,
    private readonly windowSeconds = 60,
  ) {}

  async hit(bucket: string, limit: number): Promise<RateDecision> {
    const [r] = await this.ds.query(
      // synchronous_commit off for this statement only: a lost count after a crash is harmless.
      `WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true))
       INSERT INTO rate_limit_counters (bucket, window_start, count)
         SELECT $1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), 1 FROM relaxed
       ON CONFLICT (bucket, window_start) DO UPDATE SET count = rate_limit_counters.count + 1
       RETURNING count, extract(epoch FROM window_start)::float8 AS window_start, extract(epoch FROM now())::float8 AS now`,
      [bucket, this.windowSeconds],
    );
    const count = Number(r.count);
    const resetAt = Math.round(Number(r.window_start)) + this.windowSeconds;
    const retryAfterSeconds = Math.max(1, Math.ceil(resetAt - Number(r.now)));
    this.maybeSweep();
    return { allowed: count <= limit, limit, remaining: Math.max(0, limit - count), resetAt, retryAfterSeconds };
  }

  /** Old windows are useless once over: delete them now and then (at most once a minute per replica). */
  private maybeSweep() {
    const t = Date.now();
    if (t - this.lastSweep < 60_000) return;
    this.lastSweep = t;
    this.ds.query(`DELETE FROM rate_limit_counters WHERE window_start < now() - make_interval(secs => $1)`, [this.windowSeconds * 2]).catch(() => undefined);
  }
}
