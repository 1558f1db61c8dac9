import { admitUnderCap } from '@pipevideo/platform';
import { rows } from '@pipevideo/platform';
import type { DataSource, EntityManager } from 'typeorm';
import type { PageKey } from '@pipevideo/contracts';
import type { EndpointRow } from '../domain/views';
import { takeTurnWithClaims } from '../delivery/claims-lock';

export interface NewEndpoint {
  id: string;
  orgId: string;
  url: string;
  description: string;
  events: string[];
  sealedSecret: string;
}

export interface EndpointChanges {
  url?: string;
  description?: string;
  events?: string[];
}

/** SQL of the `endpoints` table. Every read and write is scoped by org: another org's id finds nothing. */
export class EndpointStore {
  constructor(private readonly ds: DataSource) {}

  /**
   * Inserts the endpoint unless its org already has `cap`: counted under a per-org advisory lock held until
   * the insert commits, so concurrent creates cannot pass the cap together.
   */
  async insertUnderCap(e: NewEndpoint, cap: number, refuse: () => Error): Promise<EndpointRow> {
    return this.ds.transaction(async (m) => {
      await admitUnderCap(m, `webhooks.endpoints:${e.orgId}`, cap, (tx) => this.countForOrg(e.orgId, tx), refuse);
      const [row] = await rows(
        m,
        `INSERT INTO endpoints (id, org_id, url, description, events, secret) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [e.id, e.orgId, e.url, e.description, e.events, e.sealedSecret],
      );
      return row;
    });
  }

  async countForOrg(orgId: string, m: EntityManager | DataSource = this.ds): Promise<number> {
    const [r] = await rows(m, `SELECT count(*)::int AS n FROM endpoints WHERE org_id = $1`, [orgId]);
    return r.n;
  }

  async find(orgId: string, id: string, m: EntityManager | DataSource = this.ds, lock = false): Promise<EndpointRow | null> {
    const [row] = await rows(m, `SELECT * FROM endpoints WHERE id = $1 AND org_id = $2${lock ? ' FOR UPDATE' : ''}`, [id, orgId]);
    return row ?? null;
  }

  /** Newest first; one extra row tells whether another page exists. */
  async page(orgId: string, limit: number, after: PageKey | null): Promise<Array<EndpointRow & { created_key: string }>> {
    return rows(
      this.ds,
      `SELECT *, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key FROM endpoints
        WHERE org_id = $1
          AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::text))
        ORDER BY created_at DESC, id DESC LIMIT $2`,
      [orgId, limit + 1, after?.createdAt ?? null, after?.id ?? null],
    );
  }

  async update(m: EntityManager, id: string, c: EndpointChanges): Promise<void> {
    await rows(
      m,
      `UPDATE endpoints SET url = coalesce($2, url), description = coalesce($3, description), events = coalesce($4, events), updated_at = now()
        WHERE id = $1`,
      [id, c.url ?? null, c.description ?? null, c.events ?? null],
    );
  }

  /** Re-enabled by the org: a clean slate for the disabling rules. */
  async enable(m: EntityManager, id: string): Promise<void> {
    await rows(
      m,
      `UPDATE endpoints SET enabled = true, disabled_reason = NULL, disabled_at = NULL, failing_since = NULL, consecutive_exhausted = 0,
              updated_at = now() WHERE id = $1`,
      [id],
    );
  }

  /** New secret signs from now on; the old one also signs until `previousValidMs` from now (0 = not at all). */
  async rotate(m: EntityManager, id: string, sealedSecret: string, previousValidMs: number): Promise<EndpointRow> {
    const [row] = await rows(
      m,
      `UPDATE endpoints SET previous_secret = CASE WHEN $3 > 0 THEN secret END,
              previous_secret_expires_at = CASE WHEN $3 > 0 THEN now() + make_interval(secs => $3 / 1000.0) END,
              secret = $2, updated_at = now()
        WHERE id = $1 RETURNING *`,
      [id, sealedSecret, previousValidMs],
    );
    return row;
  }

  /** Deletes the endpoint and (cascade) its deliveries, taking turns with claims (see takeTurnWithClaims). */
  async delete(orgId: string, id: string): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      await takeTurnWithClaims(m, 'shared');
      // Its deliveries before the endpoint, in id order (the lock order of claims-lock.ts), as the cascade would take them.
      await m.query(
        `SELECT d.id FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id WHERE d.endpoint_id = $1 AND e.org_id = $2 ORDER BY d.id FOR UPDATE OF d`,
        [id, orgId],
      );
      const changed = await rows(m, `DELETE FROM endpoints WHERE id = $1 AND org_id = $2 RETURNING id`, [id, orgId]);
      return changed.length > 0;
    });
  }
}
