import type { DataSource } from 'typeorm';
import { DomainError, ErrorCode, TopupListMsg, TopupListReply } from '@pipevideo/contracts';

/**
 * An org's top-ups, newest first, read from the ledger's `topup` transactions (operator credits,
 * Stripe checkouts, sandbox credits). Keyset-paginated by transaction id; the cursor is that id.
 */
export class TopupHistory {
  constructor(private readonly ds: DataSource) {}

  async list(msg: TopupListMsg): Promise<TopupListReply> {
    const limit = Math.min(msg.limit ?? 20, 100);
    if (msg.cursor !== undefined && !/^\d{1,19}$/.test(msg.cursor)) throw new DomainError(ErrorCode.BAD_REQUEST, 'cursor is not a next_cursor this API gave');
    const rows = await this.ds.query(
      `SELECT id, amount_cents, metadata->>'source' AS source, created_at FROM ledger_transactions
        WHERE org_id = $1 AND kind = 'topup' ${msg.cursor ? 'AND id < $3' : ''} ORDER BY id DESC LIMIT $2`,
      msg.cursor ? [msg.orgId, limit + 1, msg.cursor] : [msg.orgId, limit + 1],
    );
    const page = rows.slice(0, limit);
    return {
      object: 'list',
      data: page.map((r: any) => ({ id: `top_${r.id}`, object: 'topup' as const, amount_cents: Number(r.amount_cents), source: r.source ?? 'operator', created_at: Math.floor(new Date(r.created_at).getTime() / 1000) })),
      has_more: rows.length > limit,
      next_cursor: rows.length > limit ? String(page[page.length - 1].id) : null,
    };
  }
}
