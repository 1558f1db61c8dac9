import { AsyncResource } from 'node:async_hooks';

/** The errors a MicroBatcher answers with; each caller's own, built by its owner (who knows the words for it). */
export interface MicroBatcherErrors {
  /** An item submitted while `maxWaiting` items already wait: refused at once, never queued. */
  full(waiting: number): Error;
  /** An item that waited over `maxWaitMs` for a slot: refused, never sent. */
  overdue(maxWaitMs: number): Error;
  /** A batch answered with another number of results than it had items (`got` undefined: not an array). */
  wrongCount(got: number | undefined, expected: number): Error;
}

export interface MicroBatcherOptions {
  /** Most items in one batch. */
  maxBatch: number;
  /** Batches being sent at once; items submitted meanwhile wait and go together in the next batches. */
  maxInFlight: number;
  /**
   * When a batch goes:
   * - `'asap'` (default): as soon as a slot is free. An idle batcher sends each item at once; only the
   *   items that arrive while every slot is busy go together. For a sender whose cost is per batch only
   *   under load (a commit, a round trip).
   * - `'endOfTurn'`: at the end of the event-loop turn the batch started in (`setImmediate`), or at once
   *   when `maxBatch` items wait; so the items submitted in one turn go together even when a slot is
   *   free (for a sender that pays per request whatever the load, e.g. a message), and a lone item still
   *   pays no added latency and no timer ever waits.
   */
  flush?: 'asap' | 'endOfTurn';
  /**
   * What a batch that failed as a whole (`send` threw or rejected, or answered the wrong number of
   * results) answers:
   * - `'retryEachAlone'`: its items are sent again one by one, so that one bad item cannot fail the
   *   others (a failed batch must have had no effect, e.g. a rolled-back statement);
   * - `'failBatch'`: every caller of that batch, and only of that batch, gets its error (e.g. a request
   *   that timed out: sent again it could run twice).
   */
  whenBatchFails: 'retryEachAlone' | 'failBatch';
  /** Most items waiting for a slot; one submitted beyond it is refused at once (`errors.full`: the sender is not keeping up). Default: no bound. */
  maxWaiting?: number;
  /**
   * Longest an item may wait for a slot: one that waited longer is refused unsent (`errors.overdue`),
   * for a caller that may have given up on it meanwhile. Checked whenever batches are formed. Default: no limit.
   */
  maxWaitMs?: number;
  /** Send each batch in the async context (correlation id, trace) of the call that submitted its first item. Default: the context of whatever formed the batch. */
  sendInFirstItemContext?: boolean;
  /** Defaults: plain Errors. */
  errors?: Partial<MicroBatcherErrors>;
  /** The clock of `maxWaitMs` (tests). Default: Date.now. */
  now?: () => number;
  /** A batch of `size` items was sent (metrics). */
  onBatch?(size: number): void;
}

interface Waiting<I, O> {
  item: I;
  resolve(o: O): void;
  reject(err: unknown): void;
  /** When it was submitted (opts.now), for `maxWaitMs`. */
  at: number;
  /** Runs a function in the async context of the call that submitted this item (only with `sendInFirstItemContext`). */
  inContext?<T>(fn: () => T): T;
}

const defaultErrors: MicroBatcherErrors = {
  full: (waiting) => new Error(`micro-batcher full (${waiting} items already waiting)`),
  overdue: (maxWaitMs) => new Error(`item waited over ${maxWaitMs} ms for a batch; it was not sent`),
  wrongCount: (got, expected) => new Error(`batch returned ${got ?? 'no'} results for ${expected} items`),
};

/**
 * Micro-batches calls: items submitted one by one (each caller awaiting its own result) go to `send`
 * together, which turns N round trips, commits or messages into one. Bounded everywhere: at most
 * `maxBatch` items per batch, `maxInFlight` batches at once, and optionally `maxWaiting` items waiting
 * and `maxWaitMs` of wait each. `send` answers one result per item, in order, and each caller gets its
 * own; see `whenBatchFails` for a batch that fails. Framework-free; `send` is the only way out.
 */
export class MicroBatcher<I, O> {
  private queue: Array<Waiting<I, O>> = [];
  private batchesInFlight = 0;
  private flushScheduled = false;
  private readonly errors: MicroBatcherErrors;
  /** Batches sent and items in them since start (average batch size = items / batches). */
  readonly sent = { batches: 0, items: 0 };

  constructor(
    private readonly send: (items: I[]) => Promise<O[]>,
    private readonly opts: MicroBatcherOptions,
  ) {
    for (const k of ['maxBatch', 'maxInFlight'] as const) {
      if (!(opts[k] >= 1)) throw new RangeError(`MicroBatcher: ${k} must be at least 1 (got ${opts[k]})`);
    }
    if (opts.maxWaiting !== undefined && !(opts.maxWaiting >= opts.maxBatch)) {
      throw new RangeError(`MicroBatcher: maxWaiting must be at least maxBatch (got ${opts.maxWaiting} for ${opts.maxBatch})`);
    }
    this.errors = { ...defaultErrors, ...opts.errors };
  }

  /** Queues one item; answers its own result (or its refusal, or the error of its batch). */
  submit(item: I): Promise<O> {
    if (this.full()) return Promise.reject(this.errors.full(this.queue.length));
    const answer = this.enqueue(item);
    this.afterQueued();
    return answer;
  }

  /**
   * Queues several items at once (one request that carries many), then sends as `submit` would: with
   * `flush: 'asap'` they share batches (up to `maxBatch` each) instead of the first ones each taking a
   * batch slot of their own. Those beyond `maxWaiting` are refused, each on its own.
   */
  submitAll(items: I[]): Array<Promise<O>> {
    let accepted = 0;
    const answers = items.map((item) => {
      if (this.full()) return Promise.reject<O>(this.errors.full(this.queue.length));
      accepted++;
      return this.enqueue(item);
    });
    if (accepted) this.afterQueued();
    return answers;
  }

  /** Items waiting for a batch slot (not yet sent). */
  get waiting(): number {
    return this.queue.length;
  }

  /** Batches being sent now. */
  get inFlight(): number {
    return this.batchesInFlight;
  }

  private full(): boolean {
    return this.opts.maxWaiting !== undefined && this.queue.length >= this.opts.maxWaiting;
  }

  private enqueue(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const inContext = this.opts.sendInFirstItemContext ? AsyncResource.bind(<T>(fn: () => T): T => fn()) : undefined;
      this.queue.push({ item, resolve, reject, at: this.clock(), inContext });
    });
  }

  /** Something was queued (a refused item queues nothing): form batches now, or at the end of this turn (`flush`). */
  private afterQueued(): void {
    if (this.opts.flush !== 'endOfTurn' || this.queue.length >= this.opts.maxBatch) this.pump();
    else this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.pump();
    });
  }

  private clock(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Sends what waits, up to `maxBatch` per batch, while a slot is free. */
  private pump(): void {
    this.refuseOverdue();
    while (this.batchesInFlight < this.opts.maxInFlight && this.queue.length) {
      const batch = this.queue.splice(0, this.opts.maxBatch);
      this.batchesInFlight++;
      this.sent.batches++;
      this.sent.items += batch.length;
      this.opts.onBatch?.(batch.length);
      void this.run(batch).finally(() => {
        this.batchesInFlight--;
        this.pump();
      });
    }
  }

  /** Items that waited past `maxWaitMs` are refused, never sent (the oldest wait at the front). */
  private refuseOverdue(): void {
    const { maxWaitMs } = this.opts;
    if (maxWaitMs === undefined) return;
    const limit = this.clock() - maxWaitMs;
    let n = 0;
    while (n < this.queue.length && this.queue[n].at < limit) n++;
    for (const w of this.queue.splice(0, n)) w.reject(this.errors.overdue(maxWaitMs));
  }

  private async run(batch: Array<Waiting<I, O>>): Promise<void> {
    try {
      const items = batch.map((w) => w.item);
      const first = batch[0].inContext;
      const results = await (first ? first(() => this.send(items)) : this.send(items));
      if (!Array.isArray(results) || results.length !== batch.length) throw this.errors.wrongCount(Array.isArray(results) ? results.length : undefined, batch.length);
      batch.forEach((w, k) => w.resolve(results[k]));
    } catch (err) {
      if (this.opts.whenBatchFails === 'failBatch' || batch.length === 1) {
        for (const w of batch) w.reject(err);
        return;
      }
      await Promise.all(
        batch.map((w) =>
          this.sendAlone(w).then(
            (o) => w.resolve(o[0]),
            (e) => w.reject(e),
          ),
        ),
      );
    }
  }

  /** One item sent again on its own, in its own call's context (if kept); a `send` that throws at once rejects it alone. */
  private sendAlone(w: Waiting<I, O>): Promise<O[]> {
    try {
      return w.inContext ? w.inContext(() => this.send([w.item])) : this.send([w.item]);
    } catch (err) {
      return Promise.reject(err);
    }
  }
}
