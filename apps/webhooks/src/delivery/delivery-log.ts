import type { WebhookDeliveryStatus } from '@pipevideo/contracts';
import { rows } from '@pipevideo/platform';
import type { DataSource } from 'typeorm';
import type { PageKey } from '@pipevideo/contracts';
import type { DeliveryRow } from '../domain/views';

/** Reads of the delivery log, and the org's manual re-queue. Scoped by org like everything else. */
export class DeliveryLog {
  constructor(private readonly ds: DataSource) {}

  /** Deliveries of one endpoint, newest first; one extra row tells whether another page exists. */
  async page(
    orgId: string,
    endpointId: string,
    status: WebhookDeliveryStatus | undefined,
    limit: number,
    after: PageKey | null,
  ): Promise<Array<DeliveryRow & { created_key: string }>> {
    return rows(
      this.ds,
      `SELECT *, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key FROM deliveries
        WHERE endpoint_id = $1 AND org_id = $2 AND ($3::text IS NULL OR status = $3)
          AND ($5::timestamptz IS NULL OR (created_at, id) < ($5::timestamptz, $6::text))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [endpointId, orgId, status ?? null, limit + 1, after?.createdAt ?? null, after?.id ?? null],
    );
  }

  async find(orgId: string, id: string): Promise<DeliveryRow | null> {
    const [row] = await rows(this.ds, `SELECT * FROM deliveries WHERE id = $1 AND org_id = $2`, [id, orgId]);
    return row ?? null;
  }

  /**
   * Due now, whatever its state; a delivery a worker is sending right now is left alone (it is
   * already being attempted). @returns the row after the change.
   */
  async requeue(orgId: string, id: string): Promise<DeliveryRow | null> {
    const [row] = await rows(
      this.ds,
      `UPDATE deliveries SET status = 'pending', next_attempt_at = now(), lease_token = NULL, completed_at = NULL, updated_at = now()
        WHERE id = $1 AND org_id = $2 AND NOT (status = 'pending' AND lease_token IS NOT NULL AND next_attempt_at > now())
       RETURNING *`,
      [id, orgId],
    );
    return row ?? this.find(orgId, id);
  }
}
