import { AsyncLocalStorage } from 'node:async_hooks';
import { holdBatcher } from './hold-batcher';

// The batching itself (turns, bounds, waits) is the platform MicroBatcher's, tested there; here, what
// makes it a hold batcher.

const turn = () => new Promise<void>((r) => setImmediate(r));

/** A stand-in for billing: records each request, answers when the test lets it (`answer`/`fail`), `-hold` per hold. */
function billing() {
  const requests: Array<{ holds: number[]; answer(results?: number[]): void; fail(err: unknown): void }> = [];
  const send = (holds: number[]) =>
    new Promise<number[]>((resolve, reject) => requests.push({ holds, answer: (results) => resolve(results ?? holds.map((h) => -h)), fail: reject }));
  return { requests, send, sent: () => requests.map((r) => r.holds) };
}

const settle = <T>(p: Promise<T>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));

describe('holdBatcher', () => {
  it('sends the holds placed in one turn as one request, at the end of that turn (a slot being free), each caller its own result', async () => {
    const b = billing();
    const sizes: number[] = [];
    const batcher = holdBatcher(b.send, { maxBatch: 64, maxInFlight: 2, maxWaiting: 1000, onBatch: (n) => sizes.push(n) });
    const answers = [1, 2, 3, 4, 5].map((h) => batcher.submit(h));
    expect(b.sent()).toEqual([]); // nothing before the end of the turn
    await turn();
    expect(b.sent()).toEqual([[1, 2, 3, 4, 5]]);
    b.requests[0].answer([10, 20, 30, 40, 50]);
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50]);
    expect(sizes).toEqual([5]);
  });

  it('a failed request rejects every caller of that batch with its error, and only them: never sent again (it may still run)', async () => {
    const b = billing();
    const batcher = holdBatcher(b.send, { maxBatch: 2, maxInFlight: 4, maxWaiting: 1000 });
    const answers = [1, 2, 3, 4, 5].map((h) => settle(batcher.submit(h)));
    await turn();
    expect(b.sent()).toEqual([[1, 2], [3, 4], [5]]);
    const down = Object.assign(new Error('billing service unavailable (TIMEOUT)'), { code: 'SERVICE_UNAVAILABLE' });
    b.requests[0].answer();
    b.requests[1].fail(down);
    b.requests[2].answer();
    expect(await Promise.all(answers)).toEqual([{ value: -1 }, { value: -2 }, { error: down }, { error: down }, { value: -5 }]);
    expect(b.sent()).toHaveLength(3);
  });

  it('an answer with the wrong number of results fails its batch as INTERNAL_SERVER_ERROR (never a result given to the wrong caller)', async () => {
    const b = billing();
    const batcher = holdBatcher(b.send, { maxBatch: 64, maxInFlight: 1, maxWaiting: 1000 });
    const answers = [1, 2].map((h) => settle(batcher.submit(h)));
    await turn();
    b.requests[0].answer([-1]);
    const out = await Promise.all(answers);
    expect(out.map((o) => ('error' in o ? (o.error as { code?: string }).code : 'ok'))).toEqual(['INTERNAL_SERVER_ERROR', 'INTERNAL_SERVER_ERROR']);
  });

  it('a send that throws at once fails its batch like a failed request', async () => {
    const batcher = holdBatcher<number, number>(
      () => {
        throw new Error('not connected');
      },
      { maxBatch: 64, maxInFlight: 1, maxWaiting: 1000 },
    );
    await expect(batcher.submit(1)).rejects.toThrow('not connected');
  });

  it('bounds the holds waiting: beyond maxWaiting a hold is refused at once as SERVICE_UNAVAILABLE', async () => {
    const b = billing();
    const batcher = holdBatcher(b.send, { maxBatch: 2, maxInFlight: 1, maxWaiting: 3 });
    const sent = [1, 2].map((h) => batcher.submit(h)); // full: sent at once
    const queued = [3, 4, 5].map((h) => batcher.submit(h));
    await expect(batcher.submit(6)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'billing service unavailable (3 holds already waiting to be placed)' });
    expect(b.sent()).toEqual([[1, 2]]);
    b.requests[0].answer();
    await turn();
    b.requests[1].answer();
    await turn();
    b.requests[2].answer();
    expect(await Promise.all([...sent, ...queued])).toEqual([-1, -2, -3, -4, -5]);
  });

  it('a hold that waited past maxWaitMs for a slot is refused unsent as SERVICE_UNAVAILABLE (its create may have been answered 503 meanwhile)', async () => {
    const b = billing();
    let now = 0;
    const batcher = holdBatcher(b.send, { maxBatch: 2, maxInFlight: 1, maxWaiting: 100, maxWaitMs: 1000, now: () => now });
    const sent = batcher.submit(1);
    await turn();
    const late = [2, 3].map((h) => settle(batcher.submit(h)));
    now = 600;
    const fresh = batcher.submit(4);
    now = 1500; // holds 2 and 3 have waited 1,500 ms, hold 4 900 ms
    b.requests[0].answer();
    await turn();
    expect(b.sent()).toEqual([[1], [4]]);
    for (const r of await Promise.all(late)) expect(r).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE', message: expect.stringContaining('it was not placed') } });
    b.requests[1].answer();
    expect(await Promise.all([sent, fresh])).toEqual([-1, -4]);
  });

  it('sends each request in the async context of its first hold (its correlation id, its trace)', async () => {
    const als = new AsyncLocalStorage<string>();
    const seen: Array<string | undefined> = [];
    const batcher = holdBatcher<number, number>(
      async (holds) => {
        seen.push(als.getStore());
        return holds;
      },
      { maxBatch: 2, maxInFlight: 1, maxWaiting: 100 },
    );
    const answers = [1, 2, 3].map((h) => als.run(`create-${h}`, () => batcher.submit(h)));
    await Promise.all(answers);
    expect(seen).toEqual(['create-1', 'create-3']);
  });

  it('refuses bounds that make no sense, and fractions (a typo in the environment)', () => {
    const send = async (h: number[]) => h;
    expect(() => holdBatcher(send, { maxBatch: 0, maxInFlight: 1, maxWaiting: 10 })).toThrow(RangeError);
    expect(() => holdBatcher(send, { maxBatch: 4, maxInFlight: 0, maxWaiting: 10 })).toThrow(RangeError);
    expect(() => holdBatcher(send, { maxBatch: 4, maxInFlight: 1, maxWaiting: 2 })).toThrow(RangeError);
    expect(() => holdBatcher(send, { maxBatch: 4, maxInFlight: 2.5, maxWaiting: 10 })).toThrow(RangeError);
  });
});
