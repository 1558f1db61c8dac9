import { DomainError, ErrorCode } from '@pipevideo/contracts';
import type { Reservation, Reserved } from './dispatcher';
import type { GenerationRow, PlannedAttempt } from './generation.types';

/** What admitting a freshly stored generation needs from the outside world. */
export interface AdmitPorts {
  /** Holds money for the first affordable candidate, starting with the attempt stored with the generation (Dispatcher.reserve). Throws when billing is unreachable. */
  reserve(row: GenerationRow, planned?: PlannedAttempt): Promise<Reservation>;
  /** Removes a generation that was never admitted (no hold, no provider call, never answered). */
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
