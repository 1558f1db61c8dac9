import { AsyncLocalStorage } from 'node:async_hooks';
import { MicroBatcher } from './micro-batcher';

const turn = () => new Promise<void>((r) => setImmediate(r));

/** A stand-in sender: records each batch, answers when the test lets it (`answer`/`fail`), `-item` per item by default. */
function sender() {
  const batches: Array<{ items: number[]; answer(results?: number[]): void; fail(err: unknown): void }> = [];
  const send = (items: number[]) =>
    new Promise<number[]>((resolve, reject) => batches.push({ items, answer: (results) => resolve(results ?? items.map((i) => -i)), fail: reject }));
  return { batches, send, sent: () => batches.map((b) => b.items) };
}

const settle = <T>(p: Promise<T>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));

describe('MicroBatcher', () => {
  describe("flush: 'asap' (the default)", () => {
    it('sends an idle call at once and batches the calls that arrive while maxInFlight batches are in flight', async () => {
      const s = sender();
      const c = new MicroBatcher(s.send, { maxBatch: 3, maxInFlight: 1, whenBatchFails: 'retryEachAlone' });
      const first = c.submit(1);
      expect(s.sent()).toEqual([[1]]); // no wait for the end of the turn
      const rest = [2, 3, 4, 5].map((i) => c.submit(i));
      expect(c.waiting).toBe(4);
      expect(c.inFlight).toBe(1);
      s.batches[0].answer();
      await turn();
      expect(s.sent()).toEqual([[1], [2, 3, 4]]);
      s.batches[1].answer();
      await turn();
      expect(s.sent()).toEqual([[1], [2, 3, 4], [5]]);
      s.batches[2].answer();
      expect(await Promise.all([first, ...rest])).toEqual([-1, -2, -3, -4, -5]);
      expect(c.inFlight).toBe(0);
      expect(c.waiting).toBe(0);
    });

    it('submitAll queues many calls at once: they share batches instead of each taking a slot', async () => {
      const s = sender();
      const c = new MicroBatcher(s.send, { maxBatch: 4, maxInFlight: 2, whenBatchFails: 'retryEachAlone' });
      const answers = c.submitAll([1, 2, 3, 4, 5, 6]);
      expect(s.sent()).toEqual([
        [1, 2, 3, 4],
        [5, 6],
      ]);
      s.batches.forEach((b) => b.answer());
      expect(await Promise.all(answers)).toEqual([-1, -2, -3, -4, -5, -6]);
    });
  });

  describe("flush: 'endOfTurn'", () => {
    it('sends the items submitted in one turn as one batch, at the end of that turn, answering each caller its own result in order', async () => {
      const s = sender();
      const c = new MicroBatcher(s.send, { maxBatch: 64, maxInFlight: 2, flush: 'endOfTurn', whenBatchFails: 'failBatch' });
      const answers = [1, 2, 3, 4, 5].map((i) => c.submit(i));
      expect(s.sent()).toEqual([]); // nothing before the end of the turn
      await turn();
      expect(s.sent()).toEqual([[1, 2, 3, 4, 5]]);
      s.batches[0].answer([10, 20, 30, 40, 50]);
      expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50]);
    });

    it('a lone item goes at the end of its turn: no timer, no added latency', async () => {
      const s = sender();
      const c = new MicroBatcher(s.send, { maxBatch: 64, maxInFlight: 2, flush: 'endOfTurn', whenBatchFails: 'failBatch' });
      const one = c.submit(7);
      await turn();
      expect(s.sent()).toEqual([[7]]);
      s.batches[0].answer();
      expect(await one).toBe(-7);
      // The next turn's item is a batch of its own.
      const two = c.submit(8);
      await turn();
      expect(s.sent()).toEqual([[7], [8]]);
      s.batches[1].answer();
      expect(await two).toBe(-8);
    });

    it('splits at maxBatch: a full batch is sent at once, the rest at the end of the turn', async () => {
      const s = sender();
      const c = new MicroBatcher(s.send, { maxBatch: 3, maxInFlight: 4, flush: 'endOfTurn', whenBatchFails: 'failBatch' });
      const answers = [1, 2, 3, 4, 5, 6, 7].map((i) => c.submit(i));
      expect(s.sent()).toEqual([
        [1, 2, 3],
        [4, 5, 6],
      ]); // full batches did not wait for the end of the turn
      await turn();
      expect(s.sent()).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
      // Answers arrive out of order across batches; each caller still gets its own.
      s.batches[2].answer();
      s.batches[0].answer();
      s.batches[1].answer();
      expect(await Promise.all(answers)).toEqual([-1, -2, -3, -4, -5, -6, -7]);
    });

    it('bounds batches in flight: items submitted meanwhile wait, across turns, and go together as soon as a batch ends', async () => {
      const s = sender();
      const c = new MicroBatcher(s.send, { maxBatch: 3, maxInFlight: 2, flush: 'endOfTurn', whenBatchFails: 'failBatch' });
      const first = [1, 2].map((i) => c.submit(i));
      await turn();
      const second = [3].map((i) => c.submit(i));
      await turn();
      expect(s.sent()).toEqual([[1, 2], [3]]);
      expect(c.inFlight).toBe(2);
      // Both slots busy: these wait, however many turns pass.
      const waiting = [4, 5, 6, 7, 8].map((i) => c.submit(i));
      await turn();
      await turn();
      expect(s.sent()).toHaveLength(2);
      expect(c.waiting).toBe(5);
      s.batches[1].answer();
      await turn();
      expect(s.sent()).toEqual([[1, 2], [3], [4, 5, 6]]); // at once, up to maxBatch
      expect(c.inFlight).toBe(2);
      s.batches[0].answer();
      await turn();
      expect(s.sent()).toEqual([[1, 2], [3], [4, 5, 6], [7, 8]]);
      s.batches[2].answer();
      s.batches[3].answer();
      expect(await Promise.all([...first, ...second, ...waiting])).toEqual([-1, -2, -3, -4, -5, -6, -7, -8]);
      expect(c.inFlight).toBe(0);
      expect(c.waiting).toBe(0);
    });
  });

  describe("whenBatchFails: 'retryEachAlone'", () => {
    it('retries a failed batch item by item, so only the bad item fails', async () => {
      let calls = 0;
      const c = new MicroBatcher<number, number>(
        async (items) => {
          calls++;
          if (items.includes(13)) throw new Error('bad item');
          return items;
        },
        { maxBatch: 10, maxInFlight: 1, whenBatchFails: 'retryEachAlone' },
      );
      const blocker = c.submit(0);
      const results = await Promise.allSettled([blocker, c.submit(12), c.submit(13), c.submit(14)]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
      expect(calls).toBe(5); // [0], [12,13,14] failed, then 12, 13, 14 alone
    });

    it('a send that throws at once on a retry fails that item only', async () => {
      let calls = 0;
      const c = new MicroBatcher<number, number>(
        (items) => {
          calls++;
          if (calls === 1) return Promise.resolve(items);
          if (items.length > 1) return Promise.reject(new Error('batch failed'));
          if (items[0] === 13) throw new Error('bad item, at once');
          return Promise.resolve(items);
        },
        { maxBatch: 10, maxInFlight: 1, whenBatchFails: 'retryEachAlone' },
      );
      const results = await Promise.allSettled([c.submit(0), c.submit(12), c.submit(13), c.submit(14)]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    });

    it('an answer with the wrong number of results fails the batch: retried alone, and a lone item gets errors.wrongCount', async () => {
      const calls: number[][] = [];
      const c = new MicroBatcher<number, number>(
        async (items) => {
          calls.push(items);
          return items.length === 2 ? [1] : items.concat(0);
        },
        { maxBatch: 2, maxInFlight: 1, whenBatchFails: 'retryEachAlone' },
      );
      await expect(c.submit(5)).rejects.toThrow('batch returned 2 results for 1 items');
      await Promise.allSettled(c.submitAll([6, 7]));
      expect(calls).toEqual([[5], [6, 7], [6], [7]]);
    });
  });

  describe("whenBatchFails: 'failBatch'", () => {
    it('a failed batch rejects every caller of that batch with its error, and only them (never sent again)', async () => {
      const s = sender();
      const c = new MicroBatcher(s.send, { maxBatch: 2, maxInFlight: 4, flush: 'endOfTurn', whenBatchFails: 'failBatch' });
      const answers = [1, 2, 3, 4, 5].map((i) => settle(c.submit(i)));
      await turn();
      expect(s.sent()).toEqual([[1, 2], [3, 4], [5]]);
      const down = new Error('timed out');
      s.batches[0].answer();
      s.batches[1].fail(down);
      s.batches[2].answer();
      expect(await Promise.all(answers)).toEqual([{ value: -1 }, { value: -2 }, { error: down }, { error: down }, { value: -5 }]);
      expect(s.sent()).toHaveLength(3);
    });

    it('an answer with the wrong number of results fails its batch with errors.wrongCount (never a result given to the wrong caller)', async () => {
      const s = sender();
      const c = new MicroBatcher(s.send, {
        maxBatch: 64,
        maxInFlight: 1,
        flush: 'endOfTurn',
        whenBatchFails: 'failBatch',
        errors: { wrongCount: (got, expected) => new Error(`${got ?? 'no'} for ${expected}`) },
      });
      const answers = [1, 2].map((i) => settle(c.submit(i)));
      await turn();
      s.batches[0].answer([-1]);
      expect(await Promise.all(answers)).toEqual([{ error: new Error('1 for 2') }, { error: new Error('1 for 2') }]);
    });

    it('a send that throws at once fails its batch like a failed one', async () => {
      const c = new MicroBatcher<number, number>(
        () => {
          throw new Error('not connected');
        },
        { maxBatch: 64, maxInFlight: 1, flush: 'endOfTurn', whenBatchFails: 'failBatch' },
      );
      await expect(c.submit(1)).rejects.toThrow('not connected');
    });
  });

  it('maxWaiting: beyond it an item is refused at once with errors.full (also in submitAll), never queued', async () => {
    const s = sender();
    const c = new MicroBatcher(s.send, { maxBatch: 2, maxInFlight: 1, maxWaiting: 3, flush: 'endOfTurn', whenBatchFails: 'failBatch', errors: { full: (n) => new Error(`full: ${n}`) } });
    const sent = [1, 2].map((i) => c.submit(i)); // full: sent at once
    const queued = [3, 4, 5].map((i) => c.submit(i));
    await expect(c.submit(6)).rejects.toThrow('full: 3');
    const [refused] = c.submitAll([7]);
    await expect(refused).rejects.toThrow('full: 3');
    expect(s.sent()).toEqual([[1, 2]]);
    expect(c.waiting).toBe(3);
    s.batches[0].answer();
    await turn();
    s.batches[1].answer();
    await turn();
    s.batches[2].answer();
    expect(await Promise.all([...sent, ...queued])).toEqual([-1, -2, -3, -4, -5]);
  });

  it('maxWaitMs: an item that waited past it for a slot is refused unsent with errors.overdue', async () => {
    const s = sender();
    let now = 0;
    const c = new MicroBatcher(s.send, {
      maxBatch: 2,
      maxInFlight: 1,
      maxWaiting: 100,
      maxWaitMs: 1000,
      now: () => now,
      flush: 'endOfTurn',
      whenBatchFails: 'failBatch',
      errors: { overdue: (ms) => new Error(`waited over ${ms} ms`) },
    });
    const sent = c.submit(1);
    await turn();
    const late = [2, 3].map((i) => settle(c.submit(i)));
    now = 600;
    const fresh = c.submit(4);
    now = 1500; // items 2 and 3 have waited 1,500 ms, item 4 900 ms
    s.batches[0].answer();
    await turn();
    expect(s.sent()).toEqual([[1], [4]]);
    expect(await Promise.all(late)).toEqual([{ error: new Error('waited over 1000 ms') }, { error: new Error('waited over 1000 ms') }]);
    s.batches[1].answer();
    expect(await Promise.all([sent, fresh])).toEqual([-1, -4]);
  });

  it('sendInFirstItemContext: each batch is sent in the async context of its first item (its correlation id, its trace)', async () => {
    const als = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    const c = new MicroBatcher<number, number>(
      async (items) => {
        seen.push(als.getStore());
        return items;
      },
      { maxBatch: 2, maxInFlight: 1, flush: 'endOfTurn', whenBatchFails: 'failBatch', sendInFirstItemContext: true },
    );
    const answers = [1, 2, 3].map((i) => als.run(`call-${i}`, () => c.submit(i)));
    await Promise.all(answers);
    expect(seen).toEqual(['call-1', 'call-3']);
  });

  it('counts what it sent (sent, onBatch)', async () => {
    const sizes: number[] = [];
    const c = new MicroBatcher<number, number>(async (items) => items, { maxBatch: 2, maxInFlight: 1, whenBatchFails: 'retryEachAlone', onBatch: (n) => sizes.push(n) });
    await Promise.all([1, 2, 3, 4, 5].map((i) => c.submit(i)));
    expect(sizes).toEqual([1, 2, 2]);
    expect(c.sent).toEqual({ batches: 3, items: 5 });
  });

  it('refuses bounds that make no sense', () => {
    const send = async (items: number[]) => items;
    expect(() => new MicroBatcher(send, { maxBatch: 0, maxInFlight: 1, whenBatchFails: 'failBatch' })).toThrow(RangeError);
    expect(() => new MicroBatcher(send, { maxBatch: 4, maxInFlight: 0, whenBatchFails: 'failBatch' })).toThrow(RangeError);
    expect(() => new MicroBatcher(send, { maxBatch: NaN, maxInFlight: 1, whenBatchFails: 'failBatch' })).toThrow(RangeError);
    expect(() => new MicroBatcher(send, { maxBatch: 4, maxInFlight: 1, maxWaiting: 2, whenBatchFails: 'failBatch' })).toThrow(RangeError);
  });
});
