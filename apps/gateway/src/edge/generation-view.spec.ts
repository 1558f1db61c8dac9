import { GenerationView } from './generation-view';

describe('GenerationView', () => {
  let now = 0;
  const view = (maxEntries = 100, ttlMs = 60_000) => new GenerationView({ maxEntries, ttlMs, now: () => now });
  const loader = (answers: unknown[]) => {
    const calls: number[] = [];
    return { calls, load: () => Promise.resolve(answers[calls.push(1) - 1] ?? answers.at(-1)) };
  };
  beforeEach(() => (now = 0));

  it('answers repeated polls from memory until a notice drops the generation', async () => {
    const v = view();
    const l = loader([{ status: 'pending' }, { status: 'processing' }]);
    expect(await v.get('generation', 'org_a', 'gen_1', l.load)).toEqual({ status: 'pending' });
    expect(await v.get('generation', 'org_a', 'gen_1', l.load)).toEqual({ status: 'pending' });
    expect(l.calls).toHaveLength(1);
    v.invalidate('gen_1');
    expect(await v.get('generation', 'org_a', 'gen_1', l.load)).toEqual({ status: 'processing' });
    expect(l.calls).toHaveLength(2);
  });

  it('does not keep a read that was in flight when a notice arrived (it may predate the change)', async () => {
    const v = view();
    let release!: (x: unknown) => void;
    const first = v.get('generation', 'org_a', 'gen_1', () => new Promise((r) => (release = r)));
    v.invalidate('gen_1');
    release({ status: 'pending' });
    expect(await first).toEqual({ status: 'pending' }); // answered, since it was asked before the change
    const l = loader([{ status: 'processing' }]);
    expect(await v.get('generation', 'org_a', 'gen_1', l.load)).toEqual({ status: 'processing' });
    expect(l.calls).toHaveLength(1);
  });

  it('clear() forgets everything, reads in flight included', async () => {
    const v = view();
    let release!: (x: unknown) => void;
    await v.get('generation', 'org_a', 'gen_1', () => Promise.resolve({ s: 1 }));
    const inflight = v.get('video', 'org_a', 'gen_2', () => new Promise((r) => (release = r)));
    v.clear();
    release({ s: 2 });
    await inflight;
    expect(v.size).toBe(0);
  });

  it('concurrent polls of the same face share one read; errors are never kept', async () => {
    const v = view();
    let n = 0;
    const slow = () => new Promise((r) => setTimeout(() => r({ n: ++n }), 5));
    const [a, b] = await Promise.all([v.get('response', 'org_a', 'gen_1', slow), v.get('response', 'org_a', 'gen_1', slow)]);
    expect([a, b, n]).toEqual([{ n: 1 }, { n: 1 }, 1]);
    await expect(v.get('generation', 'org_a', 'gen_9', () => Promise.reject(new Error('not found')))).rejects.toThrow('not found');
    expect(await v.get('generation', 'org_a', 'gen_9', () => Promise.resolve('now it exists'))).toBe('now it exists');
  });

  it('keeps answers per org: another org polling the id is asked of the router (which answers 404)', async () => {
    const v = view();
    await v.get('generation', 'org_a', 'gen_1', () => Promise.resolve({ owner: 'a' }));
    const other = loader([]);
    await expect(v.get('generation', 'org_b', 'gen_1', () => (other.load(), Promise.reject(new Error('404'))))).rejects.toThrow('404');
    expect(other.calls).toHaveLength(1);
    expect(await v.get('generation', 'org_a', 'gen_1', () => Promise.reject(new Error('not asked')))).toEqual({ owner: 'a' });
  });

  it('is bounded (least recently polled leaves first) and ages answers out after ttlMs', async () => {
    const v = view(2, 1000);
    await v.get('generation', 'o', 'gen_1', () => Promise.resolve(1));
    await v.get('generation', 'o', 'gen_2', () => Promise.resolve(2));
    await v.get('generation', 'o', 'gen_1', () => Promise.resolve('reloaded')); // gen_1 is now the most recent
    await v.get('generation', 'o', 'gen_3', () => Promise.resolve(3));
    expect(v.size).toBe(2);
    expect(await v.get('generation', 'o', 'gen_1', () => Promise.resolve('reloaded'))).toBe(1);
    expect(await v.get('generation', 'o', 'gen_2', () => Promise.resolve('gone'))).toBe('gone');
    now += 1000;
    expect(await v.get('generation', 'o', 'gen_2', () => Promise.resolve('aged'))).toBe('aged');
  });
});

describe('answers that go stale by time alone', () => {
  it('an answer is kept no longer than its earliest expires_at / retained_until, however long the TTL', async () => {
    let now = 1_000_000_000_000;
    const view = new GenerationView({ maxEntries: 10, ttlMs: 60_000, now: () => now });
    let reads = 0;
    const answer = { id: 'gen_1', status: 'completed', expires_at: now / 1000 + 5, retained_until: now / 1000 + 3 };
    const load = async () => (reads++, answer);
    await view.get('generation', 'org_a', 'gen_1', load);
    await view.get('generation', 'org_a', 'gen_1', load);
    expect(reads).toBe(1);
    now += 3_000; // retention ended: the stored answer's link is dead, read again
    await view.get('generation', 'org_a', 'gen_1', load);
    expect(reads).toBe(2);
  });
});
