import { InMemorySharedKv, kvKey } from '@pipevideo/platform';
import { RouteHealth, RouteHealthConfig } from './route-health';
import { addOutcome, mergeBuckets, prune, summarize } from './route-window';

const cfg: RouteHealthConfig = { windowMs: 10_000, bucketMs: 1_000, maxDurationsPerBucket: 50, flushMs: 1_000_000, minSamples: 4, unhealthyBelow: 0.5 };

describe('route window', () => {
  it('counts successes, failures by kind and completion percentiles inside the window only', () => {
    let b = addOutcome([], { ok: true, at: 500, completionMs: 4000 }, cfg);
    for (const [at, ms] of [[1500, 1000], [2500, 2000], [3500, 3000]]) b = addOutcome(b, { ok: true, at, completionMs: ms }, cfg);
    b = addOutcome(b, { ok: false, at: 3600, kind: 'down' }, cfg);
    b = addOutcome(b, { ok: false, at: 3700, kind: 'down' }, cfg);
    b = addOutcome(b, { ok: false, at: 3800, kind: 'timeout' }, cfg);
    expect(summarize(b, 4000, cfg)).toEqual({
      samples: 7, successes: 4, failures: 3, successRate: 4 / 7, p50Ms: 2000, p90Ms: 4000,
      recentFailures: [{ kind: 'down', count: 2 }, { kind: 'timeout', count: 1 }],
    });
    // 10.6 s later the first bucket (0–1 s) has left the window.
    expect(summarize(b, 10_600, cfg)).toMatchObject({ samples: 6, successes: 3, p50Ms: 2000, p90Ms: 3000 });
    expect(prune(b, 20_000, cfg)).toEqual([]);
  });

  it('merging is a sum, in any order', () => {
    const x = addOutcome(addOutcome([], { ok: true, at: 100, completionMs: 10 }, cfg), { ok: false, at: 1100, kind: 'down' }, cfg);
    const y = addOutcome([], { ok: false, at: 150, kind: 'rate_limited' }, cfg);
    expect(mergeBuckets(x, y, cfg)).toEqual(mergeBuckets(y, x, cfg));
    expect(summarize(mergeBuckets(x, y, cfg), 2000, cfg)).toMatchObject({ samples: 3, successes: 1, failures: 2 });
  });
});

describe('RouteHealth shared by two replicas', () => {
  it('what one replica observed, the other reads once flushed; concurrent flushes lose nothing', async () => {
    const kv = new InMemorySharedKv({ maxAgeMs: cfg.windowMs });
    let t = 100_000;
    const a = new RouteHealth(cfg, () => t);
    const b = new RouteHealth(cfg, () => t);
    await a.start(kv);
    await b.start(kv);
    a.observe('m@fal', { ok: true, completionMs: 1000 });
    a.observe('m@fal', { ok: false, kind: 'down' });
    b.observe('m@fal', { ok: false, kind: 'down' });
    b.observe('m@fal', { ok: false, kind: 'timeout' });
    // Each sees its own outcomes at once, the other's only after a flush.
    expect(a.summary('m@fal').samples).toBe(2);
    await Promise.all([a.flush(), b.flush()]);
    await new Promise((r) => setImmediate(r));
    t += 300; // past the summary cache
    for (const h of [a, b]) {
      expect(h.summary('m@fal')).toMatchObject({ samples: 4, successes: 1, failures: 3, p50Ms: 1000, recentFailures: [{ kind: 'down', count: 2 }, { kind: 'timeout', count: 1 }] });
      expect(h.isUnhealthy('m@fal')).toBe(true);
      expect(h.isUnhealthy('m@replicate')).toBe(false);
    }
    await a.stop();
    await b.stop();
  });

  it('a replica started later reads the windows already shared', async () => {
    const kv = new InMemorySharedKv({ maxAgeMs: cfg.windowMs });
    const a = new RouteHealth(cfg);
    await a.start(kv);
    a.observe('m@replicate', { ok: true, completionMs: 2500 });
    await a.flush();
    const late = new RouteHealth(cfg);
    await late.start(kv);
    expect(late.summary('m@replicate')).toMatchObject({ samples: 1, p50Ms: 2500 });
    expect(late.routes()).toEqual(['m@replicate']);
    await a.stop();
    await late.stop();
  });

  it('a flush that fails keeps the outcomes for the next one', async () => {
    const kv = new InMemorySharedKv({ maxAgeMs: cfg.windowMs });
    let broken = true;
    const flaky = Object.assign(Object.create(kv), {
      get: (k: string) => (broken ? Promise.reject(new Error('NATS down')) : kv.get(k)),
      watch: kv.watch.bind(kv),
      compareAndSet: kv.compareAndSet.bind(kv),
    });
    const a = new RouteHealth(cfg);
    await a.start(flaky);
    a.observe('m@fal', { ok: false, kind: 'down' });
    await a.flush();
    broken = false;
    a.observe('m@fal', { ok: true, completionMs: 5 });
    await a.flush();
    expect(JSON.parse((await kv.get(kvKey('stats', 'm@fal')))!.value!).buckets[0]).toMatchObject({ ok: 1, failed: 1 });
    await a.stop();
  });
});
