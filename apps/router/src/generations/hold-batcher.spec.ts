import { AsyncLocalStorage } from 'node:async_hooks';
import { HoldBatcher } from './hold-batcher';

const turn = () => new Promise<void>((r) => setImmediate(r));

/** A stand-in for billing: records each request, answers when the test lets it (`answer`/`fail`), `-hold` per hold. */
function billing() {
  const requests: Array<{ holds: number[]; answer(results?: number[]): void; fail(err: unknown): void }> = [];
  const send = (holds: number[]) =>
    new Promise<number[]>((resolve, reject) => requests.push({ holds, answer: (results) => resolve(results ?? holds.map((h) => -h)), fail: reject }));
  return { requests, send, sent: () => requests.map((r) => r.holds) };
}

const settle = <T>(p: Promise<T>) => p.then((value) => ({ value }), (error: unknown) => ({ error }));

describe('HoldBatcher', () => {
  it('sends the holds placed in one turn as one request, at the end of that turn, answering each caller its own result in order', async () => {
    const b = billing();
    const sizes: number[] = [];
    const batcher = new HoldBatcher(b.send, { maxBatch: 64, maxInFlight: 2, maxWaiting: 1000, onBatch: (n) => sizes.push(n) });
    const answers = [1, 2, 3, 4, 5].map((h) => batcher.place(h));
    expect(b.sent()).toEqual([]); // nothing before the end of the turn
    await turn();
    expect(b.sent()).toEqual([[1, 2, 3, 4, 5]]);
    b.requests[0].answer([10, 20, 30, 40, 50]);
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50]);
    expect(sizes).toEqual([5]);
  });

  it('a lone hold goes at the end of its turn: no timer, no added latency', async () => {
    const b = billing();
    const batcher = new HoldBatcher(b.send, { maxBatch: 64, maxInFlight: 2, maxWaiting: 1000 });
    const one = batcher.place(7);
    await turn();
    expect(b.sent()).toEqual([[7]]);
    b.requests[0].answer();
    expect(await one).toBe(-7);
    // The next turn's hold is a request of its own.
    const two = batcher.place(8);
    await turn();
    expect(b.sent()).toEqual([[7], [8]]);
    b.requests[1].answer();
    expect(await two).toBe(-8);
  });

  it('splits at maxBatch: a full batch is sent at once, the rest at the end of the turn', async () => {
    const b = billing();
    const batcher = new HoldBatcher(b.send, { maxBatch: 3, maxInFlight: 4, maxWaiting: 1000 });
    const answers = [1, 2, 3, 4, 5, 6, 7].map((h) => batcher.place(h));
    expect(b.sent()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]); // full batches did not wait for the end of the turn
    await turn();
    expect(b.sent()).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
    // Answers arrive out of order across requests; each caller still gets its own.
    b.requests[2].answer();
    b.requests[0].answer();
    b.requests[1].answer();
    expect(await Promise.all(answers)).toEqual([-1, -2, -3, -4, -5, -6, -7]);
  });

  it('a failed request rejects every caller of that batch with its error, and only them', async () => {
    const b = billing();
    const batcher = new HoldBatcher(b.send, { maxBatch: 2, maxInFlight: 4, maxWaiting: 1000 });
    const answers = [1, 2, 3, 4, 5].map((h) => settle(batcher.place(h)));
    await turn();
    expect(b.sent()).toEqual([[1, 2], [3, 4], [5]]);
    const down = Object.assign(new Error('billing service unavailable (TIMEOUT)'), { code: 'SERVICE_UNAVAILABLE' });
    b.requests[0].answer();
    b.requests[1].fail(down);
    b.requests[2].answer();
    expect(await Promise.all(answers)).toEqual([{ value: -1 }, { value: -2 }, { error: down }, { error: down }, { value: -5 }]);
  });

  it('an answer with the wrong number of results fails its batch (never a result given to the wrong caller)', async () => {
    const b = billing();
    const batcher = new HoldBatcher(b.send, { maxBatch: 64, maxInFlight: 1, maxWaiting: 1000 });
    const answers = [1, 2].map((h) => settle(batcher.place(h)));
    await turn();
    b.requests[0].answer([-1]);
    const out = await Promise.all(answers);
    expect(out.map((o) => ('error' in o ? (o.error as { code?: string }).code : 'ok'))).toEqual(['INTERNAL_SERVER_ERROR', 'INTERNAL_SERVER_ERROR']);
  });

  it('a send that throws at once fails its batch like a failed request', async () => {
    const batcher = new HoldBatcher<number, number>(
      () => {
        throw new Error('not connected');
      },
      { maxBatch: 64, maxInFlight: 1, maxWaiting: 1000 },
    );
    await expect(batcher.place(1)).rejects.toThrow('not connected');
  });

  it('bounds requests in flight: holds placed meanwhile wait, and go together as soon as a request ends', async () => {
    const b = billing();
    const batcher = new HoldBatcher(b.send, { maxBatch: 3, maxInFlight: 2, maxWaiting: 1000 });
    const first = [1, 2].map((h) => batcher.place(h));
    await turn();
    const second = [3].map((h) => batcher.place(h));
    await turn();
    expect(b.sent()).toEqual([[1, 2], [3]]);
    expect(batcher.inFlightCount).toBe(2);
    // Both slots busy: these wait, across turns, however many turns pass.
    const waiting = [4, 5, 6, 7, 8].map((h) => batcher.place(h));
    await turn();
    await turn();
    expect(b.sent()).toHaveLength(2);
    expect(batcher.waitingCount).toBe(5);
    b.requests[1].answer();
    await turn();
    expect(b.sent()).toEqual([[1, 2], [3], [4, 5, 6]]); // at once, up to maxBatch
    expect(batcher.inFlightCount).toBe(2);
    b.requests[0].answer();
    await turn();
    expect(b.sent()).toEqual([[1, 2], [3], [4, 5, 6], [7, 8]]);
    b.requests[2].answer();
    b.requests[3].answer();
    expect(await Promise.all([...first, ...second, ...waiting])).toEqual([-1, -2, -3, -4, -5, -6, -7, -8]);
    expect(batcher.inFlightCount).toBe(0);
    expect(batcher.waitingCount).toBe(0);
  });

  it('bounds the holds waiting: beyond maxWaiting a hold is refused at once as SERVICE_UNAVAILABLE', async () => {
    const b = billing();
    const batcher = new HoldBatcher(b.send, { maxBatch: 2, maxInFlight: 1, maxWaiting: 3 });
    const sent = [1, 2].map((h) => batcher.place(h)); // full: sent at once
    const queued = [3, 4, 5].map((h) => batcher.place(h));
    await expect(batcher.place(6)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(b.sent()).toEqual([[1, 2]]);
    b.requests[0].answer();
    await turn();
    b.requests[1].answer();
    await turn();
    b.requests[2].answer();
    expect(await Promise.all([...sent, ...queued])).toEqual([-1, -2, -3, -4, -5]);
  });

  it('a hold that waited past maxWaitMs for a slot is refused unsent (its create may have been answered 503 meanwhile)', async () => {
    const b = billing();
    let now = 0;
    const batcher = new HoldBatcher(b.send, { maxBatch: 2, maxInFlight: 1, maxWaiting: 100, maxWaitMs: 1000, now: () => now });
    const sent = batcher.place(1);
    await turn();
    const late = [2, 3].map((h) => settle(batcher.place(h)));
    now = 600;
    const fresh = batcher.place(4);
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
    const batcher = new HoldBatcher<number, number>(
      async (holds) => {
        seen.push(als.getStore());
        return holds;
      },
      { maxBatch: 2, maxInFlight: 1, maxWaiting: 100 },
    );
    const answers = [1, 2, 3].map((h) => als.run(`create-${h}`, () => batcher.place(h)));
    await Promise.all(answers);
    expect(seen).toEqual(['create-1', 'create-3']);
  });

  it('refuses bounds that make no sense', () => {
    const send = async (h: number[]) => h;
    expect(() => new HoldBatcher(send, { maxBatch: 0, maxInFlight: 1, maxWaiting: 10 })).toThrow(RangeError);
    expect(() => new HoldBatcher(send, { maxBatch: 4, maxInFlight: 0, maxWaiting: 10 })).toThrow(RangeError);
    expect(() => new HoldBatcher(send, { maxBatch: 4, maxInFlight: 1, maxWaiting: 2 })).toThrow(RangeError);
  });
});
