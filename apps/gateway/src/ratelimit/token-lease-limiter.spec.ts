import { LeaseStore, TokenLeaseLimiter } from './token-lease-limiter';

/** The `rate_lease` SQL function in memory: one counter per bucket and window; its clock is settable. */
class FakeStore implements LeaseStore {
  now = 1_000_040; // 20 s into the minute that starts at 1,000,020
  calls = 0;
  failNext = false;
  private readonly counts = new Map<string, number>();
  async lease(bucket: string, tokens: number, windowSeconds: number, limit: number) {
    this.calls += 1;
    await new Promise((r) => setImmediate(r));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('database down');
    }
    const windowStart = Math.floor(this.now / windowSeconds) * windowSeconds;
    const previous = this.counts.get(`${bucket}@${windowStart - windowSeconds}`) ?? 0;
    const allowance = limit - Math.floor(previous * (1 - (this.now - windowStart) / windowSeconds));
    const k = `${bucket}@${windowStart}`;
    const current = this.counts.get(k) ?? 0;
    const granted = Math.min(tokens, Math.max(0, allowance - current));
    this.counts.set(k, current + granted);
    return { granted, leased: current + granted, previous, windowStart, now: this.now };
  }
}

describe('TokenLeaseLimiter', () => {
  let store: FakeStore;
  const limiter = (localSkew = 0) => new TokenLeaseLimiter(store, 60, 256, () => store.now + localSkew);
  beforeEach(() => {
    store = new FakeStore();
  });

  it('admits exactly the limit in a window, then refuses without asking the store again', async () => {
    const l = limiter();
    const results = [];
    for (let i = 0; i < 120; i++) results.push(await l.hit('k', 100));
    expect(results.filter((r) => r.allowed)).toHaveLength(100);
    expect(results.slice(100).every((r) => !r.allowed && r.remaining === 0)).toBe(true);
    const callsWhenSpent = store.calls;
    await l.hit('k', 100);
    expect(store.calls).toBe(callsWhenSpent);
  });

  it('leases in growing batches: a hot key costs far fewer store calls than requests', async () => {
    const l = limiter();
    for (let i = 0; i < 10_000; i++) await l.hit('hot', 1_000_000);
    // 1, 2, 4, … 256, then 256 at a time: ≈ 47 leases for 10,000 requests.
    expect(store.calls).toBeLessThan(60);
  });

  it('a quiet key leases small batches; remaining counts unleased tokens plus those held', async () => {
    const l = limiter();
    expect((await l.hit('quiet', 60)).remaining).toBe(59); // leased 1, spent it
    expect(store.calls).toBe(1);
    const r = await l.hit('quiet', 60); // leases 2 (cap: 60 / 20 = 3), spends 1
    expect(store.calls).toBe(2);
    expect(r.remaining).toBe(57 + 1);
    expect((await l.hit('quiet', 60)).remaining).toBe(57);
    expect(store.calls).toBe(2);
  });

  it('never over-admits across replicas sharing the store, even when hit concurrently', async () => {
    const replicas = [limiter(), limiter(), limiter()];
    const hits = Array.from({ length: 900 }, (_, i) => replicas[i % 3].hit('shared', 500));
    const results = await Promise.all(hits);
    const admitted = results.filter((r) => r.allowed).length;
    expect(admitted).toBeLessThanOrEqual(500);
    // Unused leases of other replicas are the only loss: at most one batch (500 / 20 = 25) each.
    expect(admitted).toBeGreaterThanOrEqual(500 - 3 * 25);
  });

  it('concurrent requests share one lease in flight', async () => {
    const l = limiter();
    await Promise.all(Array.from({ length: 50 }, () => l.hit('burst', 10_000)));
    // Slow start: 1, 2, 4, 8, 16, 32 → six leases cover 50 waiting requests.
    expect(store.calls).toBeLessThanOrEqual(7);
  });

  it('a quiet previous window leaves the next one its whole budget; reset and Retry-After follow the store clock', async () => {
    const l = limiter(-7); // this replica's clock is 7 s behind the database
    for (let i = 0; i < 3; i++) await l.hit('w', 3);
    const refused = await l.hit('w', 3);
    expect(refused.allowed).toBe(false);
    expect(refused.resetAt).toBe(1_000_080);
    expect(refused.retryAfterSeconds).toBe(40); // nothing in the window before: the budget comes back at its end
    store.now += 41 + 60; // a whole quiet minute later
    const next = await l.hit('w', 3);
    expect(next.allowed).toBe(true);
    expect(next.resetAt).toBe(1_000_200);
  });

  it('slides: a full window right before leaves the next one only what has slid out of the last minute', async () => {
    const l = limiter();
    store.now = 1_000_020 + 59; // the last second of a window
    let admitted = 0;
    for (let i = 0; i < 120; i++) admitted += (await l.hit('s', 60)).allowed ? 1 : 0;
    expect(admitted).toBe(60);
    store.now = 1_000_080 + 1; // one second into the next window: 59/60 of the previous one still counts
    const early = [];
    for (let i = 0; i < 10; i++) early.push(await l.hit('s', 60));
    expect(early.filter((r) => r.allowed)).toHaveLength(1); // 60 − floor(60 × 59/60) = 1
    const refused = early[early.length - 1];
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterSeconds).toBe(1); // the next token slides out within a second
    const callsWhileRefusing = store.calls;
    await l.hit('s', 60);
    expect(store.calls).toBe(callsWhileRefusing); // refused locally until then
    store.now = 1_000_080 + 30; // half way: half of the previous window has slid out
    let later = 0;
    for (let i = 0; i < 60; i++) later += (await l.hit('s', 60)).allowed ? 1 : 0;
    expect(later).toBe(30 - 1);
    // After a full burst, the next window admits at the limit's pace (30 s in: 30 tokens), not all
    // 60 at once as fixed windows would.
    expect(1 + later).toBeLessThanOrEqual(30);
  });

  it('a changed limit takes effect at once', async () => {
    const l = limiter();
    for (let i = 0; i < 2; i++) await l.hit('c', 2);
    expect((await l.hit('c', 2)).allowed).toBe(false);
    expect((await l.hit('c', 5)).allowed).toBe(true);
  });

  it('a failed lease fails the request and leaves nothing behind', async () => {
    const l = limiter();
    store.failNext = true;
    await expect(l.hit('f', 10)).rejects.toThrow('database down');
    expect((await l.hit('f', 10)).allowed).toBe(true);
  });

  it('hitNow: spends a held token or repeats a known refusal without a promise; otherwise leaves it to hit', async () => {
    const l = limiter();
    expect(l.hitNow('n', 100)).toBeUndefined(); // nothing leased yet
    expect(store.calls).toBe(0);
    await l.hit('n', 100); // leases 1, spends it
    expect(l.hitNow('n', 100)).toBeUndefined(); // none held: a lease is needed
    await l.hit('n', 100); // leases 2, spends 1
    const now = l.hitNow('n', 100)!;
    expect([now.allowed, now.remaining]).toEqual([true, 97]);
    expect(store.calls).toBe(2);
    // Spent: hit learns it from the store, hitNow repeats the refusal from then on.
    for (let i = 0; i < 120; i++) await l.hit('n', 100);
    const refused = l.hitNow('n', 100)!;
    expect([refused.allowed, refused.remaining]).toEqual([false, 0]);
    expect(l.hitNow('n', 101)).toBeUndefined(); // another limit: only the store can tell
  });
});
