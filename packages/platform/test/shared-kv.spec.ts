import { randomBytes } from 'node:crypto';
import { createInProcessWiring, deleteNatsNamespace, InMemorySharedKv, KvEntry, kvKey, kvKeyPart, Messaging, NATS_TEST_URL, requireNats, SharedKv } from '../src';

/** The contract both implementations keep: revisions, compare-and-set, a watch that sees other writers. */
async function contract(a: SharedKv, b: SharedKv) {
  const seenByB: KvEntry[] = [];
  const watch = await b.watch((e) => seenByB.push(e));
  try {
    expect(await a.get('k1')).toBeNull();
    const first = await a.compareAndSet('k1', 'one', 0);
    expect(first).toEqual(expect.any(Number));
    expect(await b.compareAndSet('k1', 'lost race', 0)).toBeNull();
    const e = (await b.get('k1'))!;
    expect(e).toMatchObject({ value: 'one', revision: first });
    expect(await b.compareAndSet('k1', 'two', e.revision)).toBeGreaterThan(first!);
    expect(await a.compareAndSet('k1', 'stale', e.revision)).toBeNull();
    await a.put(kvKey('stats', 'wan/2.5@fal'), 'x');
    const deadline = Date.now() + 5000;
    while (!(seenByB.some((s) => s.key === kvKey('stats', 'wan/2.5@fal')) && seenByB.some((s) => s.value === 'two')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(seenByB.map((s) => [s.key, s.value])).toEqual(expect.arrayContaining([['k1', 'two'], [kvKey('stats', 'wan/2.5@fal'), 'x']]));
  } finally {
    watch.stop();
  }
}

describe('shared kv', () => {
  it('keys: route ids with @ and / are encoded and decoded back', () => {
    const key = kvKey('stats', 'google/veo-3.1@fal');
    expect(key).toMatch(/^[-/=.\w]+$/);
    expect(key).not.toContain('@');
    expect(kvKeyPart(key.split('.')[1])).toBe('google/veo-3.1@fal');
    expect(kvKey('breaker', 'plain')).toBe('breaker.plain');
  });

  it('in-process: two services of one wiring share a bucket', async () => {
    const wiring = createInProcessWiring();
    const [a, b] = await Promise.all([Messaging.connect('router', { kind: 'inprocess', wiring }), Messaging.connect('router', { kind: 'inprocess', wiring })]);
    await contract(await a.kv('health', { maxAgeMs: 60_000 }), await b.kv('health', { maxAgeMs: 60_000 }));
  });

  it('in-process: entries older than maxAgeMs are gone', async () => {
    let t = 0;
    const kv = new InMemorySharedKv({ maxAgeMs: 100 }, () => t);
    await kv.put('k', 'v');
    t = 50;
    expect((await kv.get('k'))?.value).toBe('v');
    t = 151;
    expect(await kv.get('k')).toBeNull();
    expect(await kv.compareAndSet('k', 'again', 0)).toEqual(expect.any(Number));
  });

  it('NATS: two connections share a JetStream bucket in their namespace', async () => {
    if (!(await requireNats())) return;
    const prefix = `pv_kv_${randomBytes(3).toString('hex')}`;
    const [a, b] = await Promise.all([
      Messaging.connect('router', { kind: 'nats', url: NATS_TEST_URL, prefix }),
      Messaging.connect('router', { kind: 'nats', url: NATS_TEST_URL, prefix }),
    ]);
    try {
      await contract(await a.kv('health', { maxAgeMs: 60_000 }), await b.kv('health', { maxAgeMs: 60_000 }));
    } finally {
      await a.close();
      await b.close();
      await deleteNatsNamespace(prefix);
    }
  });
});
