import type { DataSource } from 'typeorm';
import { decodeCursor, pageOf, publicProviderName, type ApiKind, type UsageItem, type UsageListReply } from '@pipevideo/contracts';
import { type Db, num, rows } from '@pipevideo/platform';
import { clampLimit, parseRange } from './query';

export interface UsageUpsert {
  id: string;
  orgId: string;
  api: ApiKind;
  model?: string | null;
  provider?: string | null;
  status: string;
  costCents: number;
  inputTokens?: number | null;
  outputTokens?: number | null;
  appTitle?: string | null;
  /** When the generation finished (also its creation time if billing never saw a hold for it). */
  finishedAt?: string | null;
  /** It ran on the org's own provider key. */
  byok?: boolean;
}

export interface UsageQuery {
  orgId: string;
  from?: string;
  to?: string;
  limit?: number;
  cursor?: string;
  /** Only this model's, API's or status's rows; the totals follow the same filters. */
  model?: string;
  api?: ApiKind;
  status?: string;
}

/**
 * The per-org usage history: one row per generation (both APIs), upserted by the settlement with
 * the net cost from the ledger, listed newest first with keyset pagination and range totals.
 */
export class UsageBook {
  constructor(private readonly ds: DataSource) {}

  /** Inserts or refreshes a generation's usage row; fields not known by this writer are kept. */
  async upsert(u: UsageUpsert, db: Db = this.ds): Promise<void> {
    const finishedAt = u.finishedAt && !Number.isNaN(Date.parse(u.finishedAt)) ? u.finishedAt : null;
    await rows(
      db,
      `INSERT INTO usage_records (id, org_id, api, model, provider, status, cost_cents, input_tokens, output_tokens, app_title, created_at, finished_at, byok)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
               coalesce((SELECT min(created_at) FROM holds WHERE generation_id = $1 AND placed), $11::timestamptz, now()), $11::timestamptz, $12)
       ON CONFLICT (id) DO UPDATE SET
         api = EXCLUDED.api,
         model = coalesce(EXCLUDED.model, usage_records.model),
         provider = coalesce(EXCLUDED.provider, usage_records.provider),
         status = EXCLUDED.status,
         cost_cents = EXCLUDED.cost_cents,
         input_tokens = coalesce(EXCLUDED.input_tokens, usage_records.input_tokens),
         output_tokens = coalesce(EXCLUDED.output_tokens, usage_records.output_tokens),
         app_title = coalesce(EXCLUDED.app_title, usage_records.app_title),
         finished_at = coalesce(EXCLUDED.finished_at, usage_records.finished_at),
         byok = EXCLUDED.byok,
         updated_at = now()`,
      [
        u.id,
        u.orgId,
        u.api,
        u.model ?? null,
        u.provider ?? null,
        u.status,
        u.costCents,
        u.inputTokens ?? null,
        u.outputTokens ?? null,
        u.appTitle ?? null,
        finishedAt,
        !!u.byok,
      ],
    );
  }

  /** After a token charge: the Responses job shows in the history with its tokens and cost so far. */
  async upsertTokens(
    u: { generationId: string; orgId: string; costCents: number; inputTokens: number | null; outputTokens: number | null; model?: string | null },
    db: Db = this.ds,
  ): Promise<void> {
    await rows(
      db,
      `INSERT INTO usage_records (id, org_id, api, model, status, cost_cents, input_tokens, output_tokens, created_at)
       VALUES ($1, $2, 'responses', $6, 'in_progress', $3, $4, $5,
               coalesce((SELECT min(created_at) FROM holds WHERE generation_id = $1 AND placed), now()))
       ON CONFLICT (id) DO UPDATE SET cost_cents = EXCLUDED.cost_cents, input_tokens = EXCLUDED.input_tokens,
         output_tokens = EXCLUDED.output_tokens, model = coalesce(usage_records.model, EXCLUDED.model), updated_at = now()`,
      [u.generationId, u.orgId, u.costCents, u.inputTokens, u.outputTokens, u.model ?? null],
    );
  }

  async list(q: UsageQuery, db: Db = this.ds): Promise<Omit<UsageListReply, 'balance'>> {
    const range = parseRange(q.from, q.to);
    const limit = clampLimit(q.limit);
    const cursor = decodeCursor(q.cursor);
    const where = `org_id = $1 AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at < $3)
      AND ($4::text IS NULL OR model = $4) AND ($5::text IS NULL OR api = $5) AND ($6::text IS NULL OR status = $6)`;
    const base = [q.orgId, range.from?.toISOString() ?? null, range.to?.toISOString() ?? null, q.model ?? null, q.api ?? null, q.status ?? null];
    const page = await rows<Record<string, any> & { id: string; created_key: string }>(
      db,
      `SELECT id, api, model, provider, status, cost_cents, input_tokens, output_tokens, app_title, byok, created_at, finished_at,
              to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key
         FROM usage_records
        WHERE ${where} AND ($7::timestamptz IS NULL OR (created_at, id) < ($7::timestamptz, $8::text))
        ORDER BY created_at DESC, id DESC
        LIMIT $9`,
      [...base, cursor?.createdAt ?? null, cursor?.id ?? '', limit + 1],
    );
    const { rows: data, next_cursor } = pageOf(page, limit);
    const perDay = await rows(
      db,
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*) AS count, coalesce(sum(cost_cents), 0) AS cost
         FROM usage_records WHERE ${where} GROUP BY 1 ORDER BY 1`,
      base,
    );
    const perModel = await rows(
      db,
      `SELECT coalesce(model, 'unknown') AS model, count(*) AS count, coalesce(sum(cost_cents), 0) AS cost
         FROM usage_records WHERE ${where} GROUP BY 1 ORDER BY 3 DESC, 1`,
      base,
    );
    return {
      object: 'list',
      data: data.map(toItem),
      has_more: next_cursor !== null,
      next_cursor,
      totals: {
        per_day: perDay.map((r) => ({ day: r.day, count: num(r.count), cost_cents: num(r.cost) })),
        per_model: perModel.map((r) => ({ model: r.model, count: num(r.count), cost_cents: num(r.cost) })),
      },
    };
  }
}

const unix = (d: Date | string | null): number | null => (d ? Math.floor(new Date(d).getTime() / 1000) : null);

function toItem(r: Record<string, any>): UsageItem {
  return {
    id: r.id,
    api: r.api,
    model: r.model,
    provider: publicProviderName(r.provider),
    status: r.status,
    cost_cents: num(r.cost_cents),
    input_tokens: r.input_tokens !== null ? num(r.input_tokens) : null,
    output_tokens: r.output_tokens !== null ? num(r.output_tokens) : null,
    app_title: r.app_title,
    byok: !!r.byok,
    created_at: unix(r.created_at)!,
    completed_at: unix(r.finished_at),
  };
}
