import type { EntityManager } from 'typeorm';
import type { FinishFields, GenerationStore } from './generation.store';
import type { GenerationRow } from './generation.types';

/**
 * Ends a running generation as `cancelled`, inside the caller's transaction (the row locked by it):
 * its open attempt is closed as cancelled and the `generation.finished` event names the hold billing
 * must release — the current attempt's (whatever attempt was submitted before it).
 * Both APIs cancel through here (the Responses API's cancel, and DELETE /v1/videos/{id}); they differ
 * only in what stays charged (`fields`). The caller asks the provider to stop the upstream job.
 */
export async function cancelRunning(
  m: EntityManager,
  store: GenerationStore,
  g: GenerationRow,
  fields: Pick<FinishFields, 'keepTokenCharge' | 'costCents'> = {},
): Promise<GenerationRow> {
  await store.cancelOpenAttempts(g.id, m);
  const row = await store.finish(
    g.id,
    // The current attempt's hold (`<id>:<attempt>`), not `hold_id`: after a fallback `hold_id` still names the
    // submitted attempt before it, whose hold the fallback already released, while the current one holds.
    // A current attempt whose hold was never placed is released all the same (billing then refuses it late).
    { status: 'cancelled', errorMessage: 'cancelled by the customer', holdId: g.attempt > 0 ? `${g.id}:${g.attempt}` : g.hold_id ?? null, ...fields },
    m,
  );
  return row!;
}
