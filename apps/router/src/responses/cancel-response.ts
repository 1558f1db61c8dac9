import { notFound } from '@pipevideo/contracts';
import type { DataSource } from 'typeorm';
import { GenerationStore } from '../generations/generation.store';
import { cancelRunning } from '../generations/cancel-generation';
import { isFinal } from '../generations/lifecycle';
import type { GenerationRow } from '../generations/generation.types';

/**
 * Cancels an in-flight response. Before orchestration finished nothing was charged, so the hold is
 * released and the job costs nothing; after the token charge was posted the charge stays (the
 * orchestration ran) and only the render is stopped — also when the usage was reported by the provider
 * but not yet applied here: it is charged when it arrives. A response already final is returned as is.
 */
export async function cancelResponse(ds: DataSource, store: GenerationStore, orgId: string, id: string): Promise<{ row: GenerationRow; cancelledNow: boolean }> {
  return ds.transaction(async (m) => {
    const g = await store.getById(id, m, true);
    if (!g || g.org_id !== orgId || g.api !== 'responses') throw notFound(`Response ${id} not found`);
    if (isFinal(g.status)) return { row: g, cancelledNow: false };
    // Whatever orchestration is charged stays charged, also a charge posted after this point
    // (usage that was on its way when the customer cancelled; see CompletionHandler).
    const row = await cancelRunning(m, store, g, { keepTokenCharge: true, costCents: g.tokens_charged ? g.cost_cents ?? 0 : 0 });
    return { row, cancelledNow: true };
  });
}
