import { notFound } from '@pipevideo/contracts';
import type { DataSource } from 'typeorm';
import { cancelRunning } from '../generations/cancel-generation';
import type { GenerationStore } from '../generations/generation.store';
import type { GenerationRow } from '../generations/generation.types';
import { isFinal } from '../generations/lifecycle';

/**
 * `DELETE /v1/videos/{id}`. Decision (OpenAI deletes only finished videos; we accept any):
 * - a video still queued or running is **cancelled** first — its hold is released, nothing is charged,
 *   the provider is asked to stop (the caller does that), and `video.generation.completed` is sent with
 *   status `cancelled`;
 * - then the video is **deleted**: hidden from every face of the generations API (GET answers 404, the
 *   lists leave it out), while its row stays for the ledger, usage and webhook history. The output file
 *   lives at the provider's URL today and is not removed there.
 * A second delete is a 404, like any id the org does not have.
 */
export async function deleteVideo(
  ds: DataSource,
  store: GenerationStore,
  orgId: string,
  id: string,
): Promise<{ row: GenerationRow; cancelledNow: boolean }> {
  return ds.transaction(async (m) => {
    const g = await store.getById(id, m, true);
    if (!g || g.org_id !== orgId || g.api !== 'video' || g.deleted_at) throw notFound(`Video ${id} not found`);
    const cancelledNow = !isFinal(g.status);
    const row = cancelledNow ? await cancelRunning(m, store, g, { costCents: 0 }) : g;
    await store.markDeleted(row, m);
    return { row, cancelledNow };
  });
}
