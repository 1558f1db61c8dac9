import { kvKey, kvKeyPart, logger, type SharedKv } from '@pipevideo/platform';
import {
  addOutcome, EMPTY_SUMMARY, HealthWindowConfig, mergeBuckets, Outcome, parseWindow, prune, RouteHealthSummary, serializeWindow, summarize, WindowBucket,
} from './route-window';

export interface RouteHealthConfig extends HealthWindowConfig {
  /** How often a replica adds its new outcomes to the shared windows. */
  flushMs: number;
  /** Outcomes in the window before a route can be judged unhealthy. */
  minSamples: number;
  /** A route whose success rate is below this (with minSamples) is unhealthy: tried after healthy ones. */
  unhealthyBelow: number;
}

export const STATS_KEY_PREFIX = 'stats';

interface SharedWindow {
  revision: number;
  buckets: WindowBucket[];
}

/**
 * Per-route health shared by every router replica. Each replica records the outcomes it sees (a
 * submit failing, a provider's final answer, a timeout) in a local delta and, every `flushMs`, adds it
 * to the route's window in the shared bucket with a compare-and-set (retried on a concurrent write);
 * every replica watches the bucket, so all of them read the same windows. What a replica has not
 * flushed yet is counted in its own reads at once. Without a bucket it is local only.
 * A flush that fails (NATS down) keeps the delta for the next one: health may lag, never double.
 */
export class RouteHealth {
  private readonly shared = new Map<string, SharedWindow>();
  private pending = new Map<string, WindowBucket[]>();
  private cache = new Map<string, { at: number; summary: RouteHealthSummary }>();
  private timer?: NodeJS.Timeout;
  private watch?: { stop(): void };
  private flushing?: Promise<void>;
  private kv: SharedKv | null = null;

  constructor(
    readonly cfg: RouteHealthConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts sharing through `kv` (null: this replica's outcomes only). Outcomes observed before are kept and flushed. */
  async start(kv: SharedKv | null): Promise<void> {
    this.kv = kv;
    if (!kv) return;
    this.watch = await kv.watch((e) => {
      const [prefix, enc] = e.key.split('.');
      if (prefix !== STATS_KEY_PREFIX || !enc) return;
      const routeId = kvKeyPart(enc);
      const known = this.shared.get(routeId);
      if (known && known.revision >= e.revision) return;
      this.shared.set(routeId, { revision: e.revision, buckets: parseWindow(e.value) });
      this.cache.delete(routeId);
    });
    this.timer = setInterval(() => void this.flush(), this.cfg.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    this.watch?.stop();
  }

  /** Records one outcome of a route (this replica saw it). */
  observe(routeId: string, o: Omit<Outcome, 'at'> & { at?: number }): void {
    const outcome = { ...o, at: o.at ?? this.now() };
    this.pending.set(routeId, addOutcome(this.pending.get(routeId) ?? [], outcome, this.cfg));
    this.cache.delete(routeId);
  }

  /** The route's health over the window, as every replica sees it (plus this replica's unflushed outcomes). */
  summary(routeId: string): RouteHealthSummary {
    const t = this.now();
    const hit = this.cache.get(routeId);
    // Summaries are read on every route selection; a 250 ms reuse keeps that cheap.
    if (hit && t - hit.at < 250) return hit.summary;
    const buckets = mergeBuckets(this.shared.get(routeId)?.buckets ?? [], this.pending.get(routeId) ?? [], this.cfg);
    const summary = buckets.length ? summarize(buckets, t, this.cfg) : EMPTY_SUMMARY;
    this.cache.set(routeId, { at: t, summary });
    return summary;
  }

  isUnhealthy(routeId: string): boolean {
    const s = this.summary(routeId);
    return s.samples >= this.cfg.minSamples && (s.successRate ?? 1) < this.cfg.unhealthyBelow;
  }

  /** Route ids with any outcome in the window (for the metrics). */
  routes(): string[] {
    return [...new Set([...this.shared.keys(), ...this.pending.keys()])];
  }

  /** Adds the unflushed outcomes to the shared windows (one flush at a time). */
  flush(): Promise<void> {
    if (!this.kv || this.pending.size === 0) return Promise.resolve();
    this.flushing ??= this.flushNow().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    const kv = this.kv!;
    const batch = this.pending;
    this.pending = new Map();
    for (const [routeId, delta] of batch) {
      try {
        await this.addShared(kv, routeId, delta);
      } catch (err) {
        // Keep it for the next flush, merged with what arrived meanwhile.
        this.pending.set(routeId, mergeBuckets(delta, this.pending.get(routeId) ?? [], this.cfg));
        logger.warn({ routeId, err: String(err) }, 'route health: could not share outcomes; will retry');
      }
    }
  }

  private async addShared(kv: SharedKv, routeId: string, delta: WindowBucket[]): Promise<void> {
    const key = kvKey(STATS_KEY_PREFIX, routeId);
    for (let tries = 0; tries < 20; tries++) {
      const current = await kv.get(key);
      const merged = prune(mergeBuckets(parseWindow(current?.value), delta, this.cfg), this.now(), this.cfg);
      const revision = await kv.compareAndSet(key, serializeWindow(merged), current?.revision ?? 0);
      if (revision !== null) {
        // Our own write is known now, before the watch brings it back (so the delta is never missing).
        const known = this.shared.get(routeId);
        if (!known || known.revision < revision) this.shared.set(routeId, { revision, buckets: merged });
        this.cache.delete(routeId);
        return;
      }
    }
    throw new Error('too many concurrent writers');
  }
}
