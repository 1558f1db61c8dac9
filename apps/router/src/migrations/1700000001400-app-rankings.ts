import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * App rankings (docs/api-style.md, "Rankings"):
 * - `ranking_opt_outs`: organizations whose apps never appear in the public rankings;
 * - stored referers are cut to their origin (scheme://host[:port], lower-cased, no credentials): a
 *   Referer can carry a path and a query with tokens (`?session_token=…`), which we neither publish nor
 *   keep. New rows are stored that way by the router (refererOrigin in contracts);
 * - an index for the rankings query (completed generations with an app, by completion time).
 */
export class AppRankings1700000001400 implements MigrationInterface {
  name = 'AppRankings1700000001400';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE ranking_opt_outs (org_id text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now())`);
    await q.query(
      `UPDATE generations SET referer = CASE WHEN referer ~* '^[a-z][a-z0-9+.-]*://([^@/?#]*@)?[^/?#@]+'
                                         THEN lower(regexp_replace(referer, '^([a-z][a-z0-9+.-]*://)(?:[^@/?#]*@)?([^/?#]*).*$', '\\1\\2', 'i'))
                                         ELSE NULL END
        WHERE referer IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX generations_rankings_idx ON generations (completed_at) WHERE status = 'completed' AND (app_title IS NOT NULL OR referer IS NOT NULL)`,
    );
  }
  async down(q: QueryRunner): Promise<void> {
    // The cut referers cannot be restored (that was the point).
    await q.query(`DROP INDEX generations_rankings_idx`);
    await q.query(`DROP TABLE ranking_opt_outs`);
  }
}
