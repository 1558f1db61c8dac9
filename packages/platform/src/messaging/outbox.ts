import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import type { EventOf, EventSubjectName } from '@pipevideo/contracts';
import type { EventBus } from './event-bus';
import { logger } from '../observability/logger';
import { envInt } from '../config/env';
import { currentTraceparent } from '../observability/nats-trace';

/** Outbox rows written through each data source since start (see `outboxWrites`). */
const written = new WeakMap<DataSource, number>();

/**
 * How many outbox rows were written through `ds` so far (counted at insert, committed or not). A caller
 * that kicks the relay after some work compares it before and after: work that wrote no event need not
 * cost the relay a read (the router dispatches several hundred generations a second, most writing none).
 */
export function outboxWrites(ds: DataSource): number {
  return written.get(ds) ?? 0;
}

/** Adds an event (typed by the seam map) to the service's outbox inside the caller's transaction. */
export async function addToOutbox<S extends EventSubjectName>(manager: EntityManager, subject: S, payload: EventOf<S>): Promise<string> {
  const eventId = payload.eventId || randomUUID();
  // The trace that caused the event continues where it is consumed (the relay publishes it later).
  const traceparent = currentTraceparent();
  await manager.query(`INSERT INTO outbox (event_id, subject, payload) VALUES ($1, $2, $3)`, [
    eventId,
    subject,
    JSON.stringify({ ...payload, eventId, ...(traceparent ? { traceparent } : {}) }),
  ]);
  written.set(manager.connection, outboxWrites(manager.connection) + 1);
  return eventId;
}

export interface OutboxStats {
  pending: number;
  oldestAgeSeconds: number;
}

/**
 * Publishes outbox rows to the event bus. Safe with several replicas (rows claimed with
 * FOR UPDATE SKIP LOCKED); a crash between publish and mark re-publishes, which JetStream's
 * msgID de-duplication and the consumers' inbox absorb.
 */
export class OutboxRelay {
  private timer?: NodeJS.Timeout;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly ds: DataSource,
    private readonly bus: EventBus,
    private readonly intervalMs = envInt('PIPEVIDEO_OUTBOX_INTERVAL_MS', 250),
    private readonly batch = 200,
  ) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      void this.kick().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.running) await new Promise((r) => setTimeout(r, 10));
  }

  /** Publish what is pending now (called right after a commit for low latency). */
  async kick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        const n = await this.relayBatch();
        if (n === this.batch) this.again = true;
      } while (this.again && !this.stopped);
    } catch (err) {
      if (!this.stopped) logger.warn({ err: String(err) }, 'outbox relay failed; will retry');
    } finally {
      this.running = false;
    }
  }

  private async relayBatch(): Promise<number> {
    // One cheap read (partial index) before a transaction: most ticks and kicks find nothing to publish.
    const pending = await this.ds.query(`SELECT 1 FROM outbox WHERE published_at IS NULL AND next_attempt_at <= now() LIMIT 1`);
    if (!pending.length) return 0;
    return this.ds.transaction(async (m) => {
      const rows: Array<{ id: string; event_id: string; subject: string; payload: string }> = await m.query(
        `SELECT id, event_id, subject, payload::text AS payload FROM outbox
          WHERE published_at IS NULL AND next_attempt_at <= now()
          ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [this.batch],
      );
      if (!rows.length) return 0;
      const results = await Promise.allSettled(rows.map((r) => this.bus.publish(r.subject, r.event_id, r.payload)));
      const ok = rows.filter((_, i) => results[i].status === 'fulfilled').map((r) => r.id);
      const failed = rows.filter((_, i) => results[i].status === 'rejected').map((r) => r.id);
      if (ok.length) await m.query(`UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])`, [ok]);
      if (failed.length) {
        await m.query(
          `UPDATE outbox SET attempts = attempts + 1,
             next_attempt_at = now() + make_interval(secs => least(30, 0.2 * power(2, least(attempts, 8))))
           WHERE id = ANY($1::bigint[])`,
          [failed],
        );
      }
      return rows.length;
    });
  }

  async stats(): Promise<OutboxStats> {
    const [r] = await this.ds.query(
      `SELECT count(*)::int AS pending, coalesce(extract(epoch from now() - min(created_at)), 0)::float AS age FROM outbox WHERE published_at IS NULL`,
    );
    return { pending: r.pending, oldestAgeSeconds: r.age };
  }
}
