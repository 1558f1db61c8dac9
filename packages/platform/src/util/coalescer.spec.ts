import { Coalescer } from './coalescer';

const tick = () => new Promise((r) => setImmediate(r));

describe('Coalescer', () => {
  it('sends an idle call at once and batches the calls that arrive while a batch is in flight', async () => {
    const batches: number[][] = [];
    const gates: Array<() => void> = [];
    const c = new Coalescer<number, number>(
      async (items) => {
        batches.push(items);
        await new Promise<void>((r) => gates.push(r));
        return items.map((i) => i * 10);
      },
      3,
      1,
    );
    const first = c.submit(1);
    await tick();
    expect(batches).toEqual([[1]]);
    const rest = [2, 3, 4, 5].map((i) => c.submit(i));
    expect(c.waiting).toBe(4);
    gates.shift()!();
    await tick();
    await tick();
    expect(batches).toEqual([[1], [2, 3, 4]]);
    gates.shift()!();
    await tick();
    await tick();
    gates.shift()!();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40, 50]);
    expect(batches).toEqual([[1], [2, 3, 4], [5]]);
  });

  it('retries a failed batch item by item, so only the bad item fails', async () => {
    let calls = 0;
    const c = new Coalescer<number, number>(
      async (items) => {
        calls++;
        if (items.includes(13)) throw new Error('bad item');
        return items;
      },
      10,
      1,
    );
    const blocker = c.submit(0);
    const results = await Promise.allSettled([blocker, c.submit(12), c.submit(13), c.submit(14)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(calls).toBe(5); // [0], [12,13,14] failed, then 12, 13, 14 alone
  });

  it('submitAll queues many calls at once: they share batches instead of each taking a slot', async () => {
    const batches: number[][] = [];
    const c = new Coalescer<number, number>(
      async (items) => {
        batches.push(items);
        return items.map((i) => -i);
      },
      4,
      2,
    );
    const answers = c.submitAll([1, 2, 3, 4, 5, 6]);
    expect(await Promise.all(answers)).toEqual([-1, -2, -3, -4, -5, -6]);
    expect(batches).toEqual([
      [1, 2, 3, 4],
      [5, 6],
    ]);
  });
});
