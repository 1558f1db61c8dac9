import { DomainError, ErrorCode } from '@pipevideo/contracts';
import type { Reservation, Reserved } from './dispatcher';
import type { GenerationRow, PlannedAttempt } from './generation.types';

/** What admitting a freshly stored generation needs from the outside world. */
export interface AdmitPorts {
  /** Holds money for the first affordable candidate, starting with the attempt stored with the generation (Dispatcher.reserve). Throws when billing is unreachable. */
  reserve(row: GenerationRow, planned?: PlannedAttempt): Promise<Reservation>;
  /** Removes a generation that was never admitted (no provider call, never answered), releasing an open attempt's hold; never throws (see discardRefused). */
  discard(id: string): Promise<void>;
  /** Goes on in the background: submits the reserved attempt, falls back as needed. */
  dispatch(row: GenerationRow, reserved?: Reserved): void;
}

/**
 * The hold is the balance check (spec 004: the create "validates your model, provider, and balance,
 * then queues the job"). Before the create answers, money is held for the first candidate the org can
 * afford; when it can afford none, the generation is removed and the create is a 400 "Insufficient
 * balance" (or "Key spend limit reached" when the API key's limit is what refused it), so concurrent
 * creates can never accept more work than the balance — or the key's limit — covers. Billing
 * unreachable: removed too, and the error (a 503) goes back — a retry with the same Idempotency-Key
 * starts clean.
 */
export async function admit(row: GenerationRow, ports: AdmitPorts, planned?: PlannedAttempt): Promise<void> {
  let reservation: Reservation;
  try {
    reservation = await ports.reserve(row, planned);
  } catch (err) {
    await ports.discard(row.id);
    throw err;
  }
  if (reservation.kind === 'insufficient') {
    await ports.discard(row.id);
    // Billing's refusal names the limit and when it resets, or what the balance lacks.
    if (reservation.reason === 'key_limit') throw new DomainError(ErrorCode.BAD_REQUEST, `${reservation.message}.`, reservation.details ?? { reason: 'key_limit' });
    throw new DomainError(ErrorCode.BAD_REQUEST, `${reservation.message}. Add credits, then retry.`, { reason: 'insufficient_balance' });
  }
  if (reservation.kind === 'ended') return;
  ports.dispatch(row, reservation.kind === 'reserved' ? reservation : undefined);
}

/** How a refused create's generation is removed when PostgreSQL does not answer at once. */
export interface DiscardRetry {
  /** Between two tries. */
  everyMs: number;
  /** Longest to keep trying; the store's own guard (our lease) is what stops a removal that comes too late. */
  forMs: number;
  /** A removal that needed the background: done after all, or given up (the lease ran out: a sweeper runs it; see docs/architecture.md). */
  onRetried(id: string, outcome: 'removed' | 'gave_up', err?: unknown): void;
  /** Handed each background removal, so a replica that stops can wait for it (within its stop grace) instead of leaving it to a sweeper. */
  track?(background: Promise<void>): void;
}

/**
 * Removes the generation of a create that is being refused (`discard` answers false when the lease
 * that made it ours has run out). When PostgreSQL fails mid-admission the refusal still goes back at
 * once, and the removal is tried again in the background while that lease lasts: a blip must not let
 * a sweeper later run — and bill — a generation whose create was answered with an error.
 */
export async function discardRefused(id: string, discard: (id: string) => Promise<boolean>, retry: DiscardRetry): Promise<void> {
  try {
    await discard(id);
    return;
  } catch {
    // PostgreSQL did not answer: go on in the background.
  }
  const until = Date.now() + retry.forMs;
  const background = (async () => {
    let last: unknown;
    while (Date.now() + retry.everyMs < until) {
      await new Promise((r) => setTimeout(r, retry.everyMs).unref());
      try {
        return retry.onRetried(id, (await discard(id)) ? 'removed' : 'gave_up');
      } catch (err) {
        last = err;
      }
    }
    retry.onRetried(id, 'gave_up', last);
  })();
  retry.track?.(background);
}
