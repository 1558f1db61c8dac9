import { KeyCache, KeysUnavailableError } from './key-cache';

describe('KeyCache', () => {
  it('caches for the TTL, shares one fetch, keeps stale keys when a refetch fails', async () => {
    let now = 0;
    let n = 0;
    let fail = false;
    const cache = new KeyCache(
      async () => {
        n++;
        if (fail) throw new Error('down');
        return `k${n}`;
      },
      { ttlMs: 1000, minRefreshIntervalMs: 100, now: () => now },
    );
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect([a, b, n]).toEqual(['k1', 'k1', 1]);
    now = 500;
    expect(await cache.get()).toBe('k1');
    now = 1500;
    fail = true;
    expect(await cache.get()).toBe('k1'); // stale, still served
    expect(await cache.refresh()).toBeUndefined();
    fail = false;
    expect(cache.canRefresh()).toBe(false); // just tried
    now = 1700;
    expect(cache.canRefresh()).toBe(true);
    expect(await cache.refresh()).toBe('k4');
    expect(cache.canRefresh()).toBe(false);
  });

  it('nothing cached and the fetch fails → KeysUnavailableError', async () => {
    const cache = new KeyCache<string>(async () => Promise.reject(new Error('503')), { ttlMs: 1000, minRefreshIntervalMs: 0 });
    await expect(cache.get()).rejects.toBeInstanceOf(KeysUnavailableError);
  });
});
