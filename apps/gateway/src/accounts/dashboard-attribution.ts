import type { DataSource } from 'typeorm';
import { logger } from '@pipevideo/platform';

/**
 * Who made a generation through the dashboard. Holds, usage and rate limits go to the org's dashboard
 * key (one per org, shared by its people); this table adds the person. A failed write is logged, never
 * fails the create (the money side is already right).
 */
export class DashboardAttribution {
  constructor(private readonly ds: DataSource) {}

  async recordGeneration(generationId: string, orgId: string, userId: string): Promise<void> {
    await this.ds
      .query(`INSERT INTO dashboard_generations (generation_id, org_id, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [generationId, orgId, userId])
      .catch((err) => logger.warn({ err: String(err), generationId }, 'recording who made a dashboard generation failed'));
  }

  async creatorOf(generationId: string, orgId: string): Promise<string | undefined> {
    const [row] = await this.ds.query(`SELECT user_id FROM dashboard_generations WHERE generation_id = $1 AND org_id = $2`, [generationId, orgId]);
    return row?.user_id;
  }
}
