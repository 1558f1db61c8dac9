import { discardRefused } from './admit';

/** The removal of a refused create's generation when PostgreSQL does not answer at once. */
describe('discardRefused', () => {
  const failing = (times: number) => {
    let calls = 0;
    const discard = jest.fn(async () => {
      if (++calls <= times) throw new Error('connection refused');
      return true;
    });
    return discard;
  };
  const outcomes = () => {
    const seen: string[] = [];
    let done: () => void;
    const settled = new Promise<void>((r) => (done = r));
    return { seen, settled, onRetried: (id: string, outcome: string) => (seen.push(`${id}:${outcome}`), done()) };
  };

  it('removes at once when it can: nothing in the background', async () => {
    const discard = failing(0);
    const o = outcomes();
    await discardRefused('gen_1', discard, { everyMs: 5, forMs: 100, onRetried: o.onRetried });
    await new Promise((r) => setTimeout(r, 30));
    expect(discard).toHaveBeenCalledTimes(1);
    expect(o.seen).toEqual([]);
  });

  it('answers at once when PostgreSQL fails, and removes it in the background once it answers', async () => {
    const discard = failing(3);
    const o = outcomes();
    await discardRefused('gen_2', discard, { everyMs: 5, forMs: 1000, onRetried: o.onRetried });
    expect(discard).toHaveBeenCalledTimes(1); // the refusal went back after one try
    await o.settled;
    expect(discard).toHaveBeenCalledTimes(4);
    expect(o.seen).toEqual(['gen_2:removed']);
  });

  it('hands the background removal to whoever must wait for it (a replica that stops), and nothing when none was needed', async () => {
    const tracked: Promise<void>[] = [];
    await discardRefused('gen_5', failing(0), { everyMs: 5, forMs: 1000, onRetried: () => undefined, track: (p) => tracked.push(p) });
    expect(tracked).toHaveLength(0);
    const discard = failing(2);
    const o = outcomes();
    await discardRefused('gen_6', discard, { everyMs: 5, forMs: 1000, onRetried: o.onRetried, track: (p) => tracked.push(p) });
    expect(tracked).toHaveLength(1);
    await tracked[0]; // settles once the removal went through
    expect(o.seen).toEqual(['gen_6:removed']);
    expect(discard).toHaveBeenCalledTimes(3);
  });

  it('gives up when the lease runs out, and says so', async () => {
    const discard = failing(Infinity);
    const o = outcomes();
    await discardRefused('gen_3', discard, { everyMs: 10, forMs: 60, onRetried: o.onRetried });
    await o.settled;
    expect(o.seen).toEqual(['gen_3:gave_up']);
    expect(discard.mock.calls.length).toBeGreaterThan(1);
    expect(discard.mock.calls.length).toBeLessThanOrEqual(7);
  });

  it('gives up at once when the lease that made it ours has run out (the store removes nothing then)', async () => {
    let calls = 0;
    const discard = jest.fn(async () => {
      if (++calls === 1) throw new Error('connection refused');
      return false;
    });
    const o = outcomes();
    await discardRefused('gen_4', discard, { everyMs: 5, forMs: 1000, onRetried: o.onRetried });
    await o.settled;
    expect(o.seen).toEqual(['gen_4:gave_up']);
    expect(discard).toHaveBeenCalledTimes(2);
  });
});
