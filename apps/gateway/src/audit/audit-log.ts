import type { DataSource } from 'typeorm';
import { badRequestError } from '../errors/api-error';

/** One operator action as the audit log shows it. */
export interface AuditEntry {
  id: string;
  object: 'audit_entry';
  at: number;
  /** `org.create`, `org.update`, `org.suspend`, `org.resume`, `key.issue`, `key.revoke`, `credits.add`, `dead_letter.replay`, … */
  action: string;
  org_id: string | null;
  /** The object acted on (an org, key or dead-letter id). */
  target: string | null;
  /** What the operator sent (secrets never: issued keys are recorded by id). */
  details: Record<string, unknown>;
  ip: string | null;
  correlation_id: string | null;
}

export interface NewAuditEntry {
  action: string;
  orgId?: string | null;
  target?: string | null;
  details?: Record<string, unknown>;
  ip?: string | null;
  correlationId?: string | null;
}

/** Opaque cursor: base64url of the last entry's id (entries are numbered in commit order). */
const encodeCursor = (id: string) => Buffer.from(`a:${id}`).toString('base64url');
function decodeCursor(cursor: string | undefined): string | null {
  if (!cursor) return null;
  const m = /^a:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw badRequestError('cursor is not valid: pass next_cursor from the previous page unchanged', [{ field: 'cursor', message: 'not a cursor of this list' }]);
  return m[1];
}

/**
 * The operator audit log (table `operator_audit_log`): every state-changing operator call, who asked
 * (the caller's IP and correlation id: there is one operator token, so no user name), what it named and
 * what it sent. Append-only; newest first when listed.
 */
export class AuditLog {
  constructor(private readonly ds: DataSource) {}

  async record(e: NewAuditEntry): Promise<void> {
    await this.ds.query(`INSERT INTO operator_audit_log (action, org_id, target, details, ip, correlation_id) VALUES ($1, $2, $3, $4, $5, $6)`, [
      e.action,
      e.orgId ?? null,
      e.target ?? null,
      JSON.stringify(e.details ?? {}),
      e.ip ?? null,
      e.correlationId ?? null,
    ]);
  }

  async list(o: { orgId?: string; action?: string; limit: number; cursor?: string }): Promise<{ object: 'list'; data: AuditEntry[]; has_more: boolean; next_cursor: string | null }> {
    const before = decodeCursor(o.cursor);
    const rows: any[] = await this.ds.query(
      `SELECT * FROM operator_audit_log
        WHERE ($1::text IS NULL OR org_id = $1) AND ($2::text IS NULL OR action = $2) AND ($3::bigint IS NULL OR id < $3)
        ORDER BY id DESC LIMIT $4`,
      [o.orgId ?? null, o.action ?? null, before, o.limit + 1],
    );
    const page = rows.slice(0, o.limit);
    const hasMore = rows.length > o.limit;
    return {
      object: 'list',
      data: page.map((r) => ({
        id: String(r.id),
        object: 'audit_entry',
        at: Math.floor(new Date(r.at).getTime() / 1000),
        action: r.action,
        org_id: r.org_id,
        target: r.target,
        details: r.details,
        ip: r.ip,
        correlation_id: r.correlation_id,
      })),
      has_more: hasMore,
      next_cursor: hasMore ? encodeCursor(String(page[page.length - 1].id)) : null,
    };
  }
}
