import { sanitizeAppTitle, type RankingsPage, type RankingsSettings } from '@pipevideo/contracts';
import type { DataSource } from 'typeorm';

export type { RankedApp, RankingsPage } from '@pipevideo/contracts';

/**
 * Public app rankings (OpenRouter-style) from the attribution stored with each generation. Rules
 * (docs/api-style.md): an app is one organization's title and/or referer origin — grouped per org, so
 * two orgs sending the same title are two apps; the origin identifies it when sent, else the title;
 * only completed generations count; apps below `minGenerations` in the window are not shown; orgs that
 * opted out are never shown. The org itself is never published.
 */
export class Rankings {
  constructor(
    private readonly ds: DataSource,
    private readonly minGenerations: number,
  ) {}

  async top(windowHours: number, limit: number): Promise<RankingsPage> {
    const rows: Array<{ title: string | null; origin: string | null; generations: number }> = await this.ds.query(
      `SELECT (array_agg(app_title ORDER BY completed_at DESC) FILTER (WHERE app_title IS NOT NULL))[1] AS title,
              nullif(referer, '') AS origin, count(*)::int AS generations
         FROM generations
        WHERE status = 'completed' AND completed_at > now() - make_interval(hours => $1)
          AND (app_title IS NOT NULL OR referer IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM ranking_opt_outs o WHERE o.org_id = generations.org_id)
        GROUP BY org_id, nullif(referer, ''), CASE WHEN referer IS NULL OR referer = '' THEN lower(app_title) END
       HAVING count(*) >= $2
        ORDER BY generations DESC, title NULLS LAST, origin
        LIMIT $3`,
      [windowHours, this.minGenerations, limit + 1],
    );
    const data = rows.slice(0, limit).map((r) => {
      const title = sanitizeAppTitle(r.title) ?? null;
      return { app: title ?? hostOf(r.origin) ?? 'unknown', title, origin: r.origin, generations: r.generations };
    });
    return { object: 'list', data, has_more: rows.length > limit, next_cursor: null, window_hours: windowHours, min_generations: this.minGenerations };
  }

  async settings(orgId: string): Promise<RankingsSettings> {
    const [row] = await this.ds.query(`SELECT created_at FROM ranking_opt_outs WHERE org_id = $1`, [orgId]);
    return settingsView(row?.created_at ?? null);
  }

  /** Opts the org's apps out of (true) or back into (false) the public rankings; takes effect at once. */
  async setOptOut(orgId: string, optOut: boolean): Promise<RankingsSettings> {
    if (optOut) await this.ds.query(`INSERT INTO ranking_opt_outs (org_id) VALUES ($1) ON CONFLICT DO NOTHING`, [orgId]);
    else await this.ds.query(`DELETE FROM ranking_opt_outs WHERE org_id = $1`, [orgId]);
    return this.settings(orgId);
  }
}

export type { RankingsSettings };

function settingsView(optedOutAt: Date | null): RankingsSettings {
  return { object: 'rankings_settings', opt_out: optedOutAt !== null, opted_out_at: optedOutAt ? Math.floor(new Date(optedOutAt).getTime() / 1000) : null };
}

function hostOf(origin: string | null): string | undefined {
  if (!origin) return undefined;
  return origin.replace(/^[a-z][a-z0-9+.-]*:\/\//, '') || undefined;
}
