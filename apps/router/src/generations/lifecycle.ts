/**
 * The one-way generation lifecycle, shared by both APIs. Stored statuses are the video API's
 * (`pending → processing → completed | failed`) plus the Responses API's `cancelled` and `incomplete`;
 * the Responses view maps pending → queued and processing → in_progress.
 */
export type StoredStatus = 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled' | 'incomplete';

export const FINAL_STATUSES: readonly StoredStatus[] = ['completed', 'failed', 'cancelled', 'incomplete'];

const ALLOWED: Record<StoredStatus, readonly StoredStatus[]> = {
  pending: ['processing', 'failed', 'cancelled'],
  processing: ['completed', 'failed', 'cancelled', 'incomplete'],
  completed: [],
  failed: [],
  cancelled: [],
  incomplete: [],
};

export function canTransition(from: StoredStatus, to: StoredStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** Statuses a generation may be in for a transition to `to` (used in guarded UPDATE ... WHERE status = ANY). */
export function sourcesOf(to: StoredStatus): StoredStatus[] {
  return (Object.keys(ALLOWED) as StoredStatus[]).filter((from) => ALLOWED[from].includes(to));
}

export function isFinal(s: StoredStatus): boolean {
  return FINAL_STATUSES.includes(s);
}

/** Responses API vocabulary (spec 002). */
export function responseStatusOf(s: StoredStatus): string {
  return s === 'pending' ? 'queued' : s === 'processing' ? 'in_progress' : s;
}
