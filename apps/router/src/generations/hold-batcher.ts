import { AsyncResource } from 'node:async_hooks';
import { DomainError, ErrorCode } from '@pipevideo/contracts';

export interface HoldBatcherOptions {
  /** Most holds in one request; a batch this full is sent at once, without waiting for the end of the turn. */
  maxBatch: number;
  /** Requests in flight at once; holds placed meanwhile wait and go in the next requests. */
  maxInFlight: number;
  /** Most holds waiting for a request slot; a hold placed beyond it is refused at once (billing is not keeping up). */
  maxWaiting: number;
  /**
   * Longest a hold may wait for a request slot: one that waited longer is refused (SERVICE_UNAVAILABLE)
   * instead of sent, since its create's caller may have given up meanwhile (a create answered 503 must
   * not run). A hold never sent is safe to refuse. Default: no limit.
   */
  maxWaitMs?: number;
  now?: () => number;
  /** A request was sent with `size` holds (metrics). */
  onBatch?(size: number): void;
}

interface Waiting<H, R> {
  hold: H;
  resolve(r: R): void;
  reject(err: unknown): void;
  /** Runs a function in the async context (correlation id, trace) of the call that placed this hold. */
  inContext<T>(fn: () => T): T;
  /** When it was placed (opts.now). */
  at: number;
}

/**
 * Micro-batches hold placements: the holds placed during one turn of the event loop go to billing in
 * one request (`send`, `billing.hold.placeMany`), which spares billing the per-message cost of NATS and
 * its handler pipeline. Bounded everywhere:
 * - a batch is sent at the end of the turn it started in (`setImmediate`), or at once when it reaches
 *   `maxBatch` holds, so a lone hold pays no added latency and no timer ever waits;
 * - at most `maxInFlight` requests run at once; holds placed meanwhile wait (at most `maxWaiting` of
 *   them, beyond that a placement is refused with SERVICE_UNAVAILABLE) and go as soon as a request
 *   ends, together, up to `maxBatch` per request;
 * - `send` answers one result per hold, in order, and each caller gets its own; when the request fails
 *   (timeout, billing unreachable, an answer of the wrong length) every caller of that batch, and only
 *   of that batch, gets the error.
 * A request runs in the async context of its first hold's call (its correlation id and trace).
 * Framework-free; `send` is the only way out.
 */
export class HoldBatcher<H, R> {
  private waiting: Array<Waiting<H, R>> = [];
  private inFlight = 0;
  private flushScheduled = false;

  constructor(
    private readonly send: (holds: H[]) => Promise<R[]>,
    private readonly opts: HoldBatcherOptions,
  ) {
    for (const k of ['maxBatch', 'maxInFlight', 'maxWaiting'] as const) {
      if (!Number.isSafeInteger(opts[k]) || opts[k] < 1) throw new RangeError(`HoldBatcher: ${k} must be a positive integer (got ${opts[k]})`);
    }
    if (opts.maxWaiting < opts.maxBatch) throw new RangeError('HoldBatcher: maxWaiting must be at least maxBatch');
  }

  /** Places one hold in the current batch; answers its own result (or the error of its batch's request). */
  place(hold: H): Promise<R> {
    if (this.waiting.length >= this.opts.maxWaiting) {
      return Promise.reject(new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `billing service unavailable (${this.waiting.length} holds already waiting to be placed)`));
    }
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ hold, resolve, reject, inContext: AsyncResource.bind(<T>(fn: () => T): T => fn()), at: this.clock() });
      if (this.waiting.length >= this.opts.maxBatch) this.pump();
      else this.scheduleFlush();
    });
  }

  /** Holds waiting for a request (not yet sent). */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** Requests running now. */
  get inFlightCount(): number {
    return this.inFlight;
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

  /** Sends what waits, up to `maxBatch` per request, while a request slot is free. */
  private pump(): void {
    this.refuseOverdue();
    while (this.inFlight < this.opts.maxInFlight && this.waiting.length) {
      const batch = this.waiting.splice(0, this.opts.maxBatch);
      this.inFlight++;
      this.opts.onBatch?.(batch.length);
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** Holds that waited past `maxWaitMs` are refused, never sent (the oldest wait at the front). */
  private refuseOverdue(): void {
    if (this.opts.maxWaitMs === undefined) return;
    const limit = this.clock() - this.opts.maxWaitMs;
    let n = 0;
    while (n < this.waiting.length && this.waiting[n].at < limit) n++;
    for (const w of this.waiting.splice(0, n)) {
      w.reject(new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `billing service unavailable (the hold waited over ${this.opts.maxWaitMs} ms to be sent; it was not placed)`));
    }
  }

  private async run(batch: Array<Waiting<H, R>>): Promise<void> {
    try {
      const holds = batch.map((w) => w.hold);
      const results = await batch[0].inContext(() => this.send(holds));
      if (!Array.isArray(results) || results.length !== batch.length) {
        throw new DomainError(ErrorCode.INTERNAL_SERVER_ERROR, `billing answered ${Array.isArray(results) ? results.length : 'no'} results for ${batch.length} holds`);
      }
      batch.forEach((w, k) => w.resolve(results[k]));
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}
