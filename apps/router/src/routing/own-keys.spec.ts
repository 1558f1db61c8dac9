import { OwnKeysCache } from './own-keys';

describe('OwnKeysCache', () => {
  const setup = (answers: Record<string, string[]>, ttlMs = 1000, maxOrgs = 10) => {
    let now = 0;
    const asked: string[] = [];
    const resolvers: Array<() => void> = [];
    let hold = false;
    const cache = new OwnKeysCache(
      async (orgId) => {
        asked.push(orgId);
        if (hold) await new Promise<void>((r) => resolvers.push(r));
        return answers[orgId] ?? [];
      },
      { ttlMs, maxOrgs, now: () => now },
    );
    return { cache, asked, tick: (ms: number) => (now += ms), holdLookups: (h: boolean) => (hold = h), release: () => resolvers.splice(0).forEach((r) => r()) };
  };

  it('asks once per org within the TTL, and again after it', async () => {
    const t = setup({ org_a: ['fal'] });
    expect([...(await t.cache.providers('org_a'))]).toEqual(['fal']);
    expect([...(await t.cache.providers('org_a'))]).toEqual(['fal']);
    expect(t.asked).toEqual(['org_a']);
    t.tick(1001);
    await t.cache.providers('org_a');
    expect(t.asked).toEqual(['org_a', 'org_a']);
  });

  it('concurrent lookups of one org share one request', async () => {
    const t = setup({ org_a: ['replicate'] });
    t.holdLookups(true);
    const all = Promise.all([t.cache.providers('org_a'), t.cache.providers('org_a'), t.cache.providers('org_a')]);
    await new Promise((r) => setImmediate(r));
    t.release();
    expect((await all).map((s) => [...s])).toEqual([['replicate'], ['replicate'], ['replicate']]);
    expect(t.asked).toEqual(['org_a']);
  });

  it('forget drops the org at once, and a lookup that started before the change is not kept', async () => {
    const answers: Record<string, string[]> = { org_a: [] };
    const t = setup(answers);
    await t.cache.providers('org_a');
    answers.org_a = ['fal'];
    t.cache.forget('org_a');
    expect([...(await t.cache.providers('org_a'))]).toEqual(['fal']);

    t.holdLookups(true);
    t.cache.forget('org_a');
    const before = t.cache.providers('org_a');
    await new Promise((r) => setImmediate(r));
    t.cache.forget('org_a'); // the key changed while the lookup was on its way
    t.release();
    await before;
    t.holdLookups(false);
    const asked = t.asked.length;
    await t.cache.providers('org_a');
    expect(t.asked.length).toBe(asked + 1);
  });

  it('keeps at most maxOrgs, dropping the least recently used', async () => {
    const t = setup({}, 10_000, 2);
    await t.cache.providers('a');
    await t.cache.providers('b');
    await t.cache.providers('a');
    await t.cache.providers('c');
    expect(t.cache.size).toBe(2);
    t.asked.length = 0;
    await t.cache.providers('a');
    await t.cache.providers('b');
    expect(t.asked).toEqual(['b']);
  });

  it('a failed lookup is not kept', async () => {
    let fail = true;
    const cache = new OwnKeysCache(async () => {
      if (fail) throw new Error('providers unreachable');
      return ['fal'];
    }, { ttlMs: 1000, maxOrgs: 10 });
    await expect(cache.providers('org_a')).rejects.toThrow('providers unreachable');
    fail = false;
    expect([...(await cache.providers('org_a'))]).toEqual(['fal']);
  });

  it("another org's change does not stop a lookup from being kept, and an older lookup never drops a newer one", async () => {
    const t = setup({ org_a: ['fal'], org_b: [] });
    t.holdLookups(true);
    const a = t.cache.providers('org_a');
    await new Promise((r) => setImmediate(r));
    t.cache.forget('org_b');
    t.release();
    await a;
    t.holdLookups(false);
    await t.cache.providers('org_a');
    expect(t.asked.filter((o) => o === 'org_a')).toHaveLength(1);

    t.holdLookups(true);
    t.cache.forget('org_a');
    const older = t.cache.providers('org_a');
    await new Promise((r) => setImmediate(r));
    t.cache.forget('org_a');
    const newer = t.cache.providers('org_a');
    await new Promise((r) => setImmediate(r));
    t.release();
    await Promise.all([older, newer]);
    t.holdLookups(false);
    const asked = t.asked.length;
    await t.cache.providers('org_a');
    expect(t.asked.length).toBe(asked);
  });
});
