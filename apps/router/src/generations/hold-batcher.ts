import { DomainError, ErrorCode } from '@pipevideo/contracts';
import { MicroBatcher, type MicroBatcherOptions } from '@pipevideo/platform';

/** The bounds of the hold batches (the rest is fixed by what a hold is, below). */
export type HoldBatcherOptions = Required<Pick<MicroBatcherOptions, 'maxBatch' | 'maxInFlight' | 'maxWaiting'>> & Pick<MicroBatcherOptions, 'maxWaitMs' | 'now' | 'onBatch'>;

/**
 * Micro-batches hold placements (the platform MicroBatcher): the holds placed during one turn of the
 * event loop go to billing in one request (`send`, `billing.hold.placeMany`), which spares billing the
 * per-message cost of NATS and its handler pipeline, so a batch goes at the end of its turn, not as soon
 * as a slot is free. What makes it a hold batcher:
 * - a failed request (timeout, billing unreachable, an answer of the wrong length) fails every hold of
 *   that batch, and only of that batch: never sent again, since a request that timed out may still run;
 * - a hold refused for the bounds (`maxWaiting` holds already waiting, or it waited over `maxWaitMs` for a
 *   request slot: its create's caller may have given up meanwhile, and a create answered 503 must not
 *   run) is SERVICE_UNAVAILABLE, billing not keeping up; a hold never sent is safe to refuse;
 * - a request runs in the async context of its first hold's call (its correlation id and trace).
 */
export function holdBatcher<H, R>(send: (holds: H[]) => Promise<R[]>, opts: HoldBatcherOptions): MicroBatcher<H, R> {
  // The platform batcher takes any bound of at least 1; these come from the environment, and a fraction
  // there is a typo to refuse at startup, not a bound to round.
  for (const k of ['maxBatch', 'maxInFlight', 'maxWaiting'] as const) {
    if (!Number.isSafeInteger(opts[k]) || opts[k] < 1) throw new RangeError(`holdBatcher: ${k} must be a positive integer (got ${opts[k]})`);
  }
  return new MicroBatcher(send, {
    ...opts,
    flush: 'endOfTurn',
    whenBatchFails: 'failBatch',
    sendInFirstItemContext: true,
    errors: {
      full: (waiting) => new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `billing service unavailable (${waiting} holds already waiting to be placed)`),
      overdue: (maxWaitMs) => new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `billing service unavailable (the hold waited over ${maxWaitMs} ms to be sent; it was not placed)`),
      wrongCount: (got, expected) => new DomainError(ErrorCode.INTERNAL_SERVER_ERROR, `billing answered ${got ?? 'no'} results for ${expected} holds`),
    },
  });
}
