/**
 * The sliding window of one route's recent outcomes, as plain data that replicas merge: the window is
 * cut into fixed time buckets (`bucketMs`, aligned on the epoch so every replica cuts them alike), each
 * counting successes, failures by kind, and a sample of completion times. Summing buckets is
 * commutative, so two replicas' observations merge without coordination beyond a compare-and-set.
 * Pure functions, no clock of their own: callers pass `now`.
 */

export interface HealthWindowConfig {
  /** How far back outcomes count. */
  windowMs: number;
  /** Width of one bucket; windowMs should be a multiple. */
  bucketMs: number;
  /** Completion times kept per bucket (the most recent ones): bounds the stored size. */
  maxDurationsPerBucket: number;
}

export interface WindowBucket {
  /** Bucket start, ms since the epoch, a multiple of bucketMs. */
  start: number;
  ok: number;
  failed: number;
  /** Failures by kind (`down`, `timeout`, `rate_limited`, `moderation`, …). */
  kinds: Record<string, number>;
  /** Completion times (ms from submit to the provider's final answer) of successes. */
  durations: number[];
}

export interface Outcome {
  ok: boolean;
  at: number;
  /** Successes: ms from submit to completion. */
  completionMs?: number;
  /** Failures: the provider error kind. */
  kind?: string;
}

export interface RouteHealthSummary {
  samples: number;
  successes: number;
  failures: number;
  /** successes / samples; null without samples. */
  successRate: number | null;
  /** Median and 90th percentile completion time of successes (nearest rank); null without any. */
  p50Ms: number | null;
  p90Ms: number | null;
  /** Failure kinds in the window, most frequent first. */
  recentFailures: Array<{ kind: string; count: number }>;
}

export const EMPTY_SUMMARY: RouteHealthSummary = { samples: 0, successes: 0, failures: 0, successRate: null, p50Ms: null, p90Ms: null, recentFailures: [] };

const bucketStart = (at: number, cfg: HealthWindowConfig) => Math.floor(at / cfg.bucketMs) * cfg.bucketMs;

/** Buckets still inside the window at `now`. */
export function prune(buckets: readonly WindowBucket[], now: number, cfg: HealthWindowConfig): WindowBucket[] {
  const oldest = bucketStart(now - cfg.windowMs, cfg) + cfg.bucketMs;
  return buckets.filter((b) => b.start >= oldest);
}

/** Adds one outcome (returns the new bucket list; the input is not changed). */
export function addOutcome(buckets: readonly WindowBucket[], o: Outcome, cfg: HealthWindowConfig): WindowBucket[] {
  const start = bucketStart(o.at, cfg);
  const delta: WindowBucket = {
    start,
    ok: o.ok ? 1 : 0,
    failed: o.ok ? 0 : 1,
    kinds: !o.ok ? { [o.kind ?? 'unknown']: 1 } : {},
    durations: o.ok && o.completionMs !== undefined && Number.isFinite(o.completionMs) ? [Math.max(0, Math.round(o.completionMs))] : [],
  };
  return mergeBuckets(buckets, [delta], cfg);
}

/** The sum of two bucket lists, bucket by bucket (completion samples concatenated, the newest kept). */
export function mergeBuckets(a: readonly WindowBucket[], b: readonly WindowBucket[], cfg: HealthWindowConfig): WindowBucket[] {
  const byStart = new Map<number, WindowBucket>();
  for (const x of [...a, ...b]) {
    const cur = byStart.get(x.start);
    if (!cur) {
      byStart.set(x.start, { start: x.start, ok: x.ok, failed: x.failed, kinds: { ...x.kinds }, durations: x.durations.slice(-cfg.maxDurationsPerBucket) });
      continue;
    }
    cur.ok += x.ok;
    cur.failed += x.failed;
    for (const [k, n] of Object.entries(x.kinds)) cur.kinds[k] = (cur.kinds[k] ?? 0) + n;
    cur.durations = [...cur.durations, ...x.durations].slice(-cfg.maxDurationsPerBucket);
  }
  return [...byStart.values()].sort((x, y) => x.start - y.start);
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Success rate, completion percentiles and failure kinds over the buckets inside the window at `now`. */
export function summarize(buckets: readonly WindowBucket[], now: number, cfg: HealthWindowConfig): RouteHealthSummary {
  const live = prune(buckets, now, cfg);
  let successes = 0;
  let failures = 0;
  const kinds: Record<string, number> = {};
  const durations: number[] = [];
  for (const b of live) {
    successes += b.ok;
    failures += b.failed;
    for (const [k, n] of Object.entries(b.kinds)) kinds[k] = (kinds[k] ?? 0) + n;
    durations.push(...b.durations);
  }
  durations.sort((x, y) => x - y);
  const samples = successes + failures;
  return {
    samples,
    successes,
    failures,
    successRate: samples ? successes / samples : null,
    p50Ms: percentile(durations, 50),
    p90Ms: percentile(durations, 90),
    recentFailures: Object.entries(kinds)
      .map(([kind, count]) => ({ kind, count }))
      .sort((x, y) => y.count - x.count || x.kind.localeCompare(y.kind)),
  };
}

/** Parses a stored window; anything malformed counts as empty (a bad entry must not break routing). */
export function parseWindow(text: string | null | undefined): WindowBucket[] {
  if (!text) return [];
  try {
    const v = JSON.parse(text) as { buckets?: unknown };
    if (!Array.isArray(v.buckets)) return [];
    return v.buckets.filter(
      (b): b is WindowBucket =>
        !!b && typeof b === 'object' && Number.isFinite((b as WindowBucket).start) && Number.isFinite((b as WindowBucket).ok) && Number.isFinite((b as WindowBucket).failed)
        && typeof (b as WindowBucket).kinds === 'object' && Array.isArray((b as WindowBucket).durations),
    );
  } catch {
    return [];
  }
}

export function serializeWindow(buckets: readonly WindowBucket[]): string {
  return JSON.stringify({ v: 1, buckets });
}
