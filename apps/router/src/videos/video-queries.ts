import { badRequest } from '@pipevideo/contracts';
import type { DataSource } from 'typeorm';
import type { GenerationRow } from '../generations/generation.types';

export type ListOrder = 'asc' | 'desc';

/**
 * The SQL only the OpenAI Videos face needs: its list pages by the id of the last item (`after`, as
 * OpenAI's cursor pages do) in either order, and deletion hides a video. Everything else is the
 * GenerationStore's.
 */
export class VideoQueries {
  constructor(private readonly ds: DataSource) {}

  /** `limit` video generations of the org after the one with id `after` (exclusive), in `order` of (created_at, id). */
  async list(orgId: string, limit: number, order: ListOrder, after?: string): Promise<GenerationRow[]> {
    if (after !== undefined) {
      const [found] = await this.ds.query(`SELECT 1 FROM generations WHERE id = $1 AND org_id = $2 AND api = 'video' AND deleted_at IS NULL`, [after, orgId]);
      if (!found) throw badRequest(`after: no video has the id ${JSON.stringify(after.slice(0, 80))}; pass the id of the last video of the previous page`, { param: 'after' });
    }
    const cmp = order === 'asc' ? '>' : '<';
    const dir = order === 'asc' ? 'ASC' : 'DESC';
    return this.ds.query(
      `SELECT * FROM generations
        WHERE org_id = $1 AND api = 'video' AND deleted_at IS NULL
          AND ($2::text IS NULL OR (created_at, id) ${cmp} (SELECT created_at, id FROM generations WHERE id = $2 AND org_id = $1))
        ORDER BY created_at ${dir}, id ${dir} LIMIT $3`,
      [orgId, after ?? null, limit],
    );
  }
}
