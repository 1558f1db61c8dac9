import { logger } from '@pipevideo/platform';
import type { DataSource } from 'typeorm';
import { rows } from '@pipevideo/platform';

/**
 * Keeps the delivery log bounded: finished deliveries older than the retention period are deleted
 * (in small batches, so no long locks), then messages no delivery refers to any more. Pending
 * deliveries are never touched. Safe to run on every replica at once.
 */
export class RetentionSweeper {
  private timer?: NodeJS.Timeout;

  constructor(private readonly ds: DataSource, private readonly retentionMs: number, private readonly everyMs = 3_600_000, private readonly batch = 5000) {}

  start(): void {
    const tick = () => {
      void this.sweep()
        .catch((err) => logger.warn({ err: String(err) }, 'webhook log retention sweep failed'))
        .finally(() => {
          this.timer = setTimeout(tick, this.everyMs);
          this.timer.unref();
        });
    };
    this.timer = setTimeout(tick, Math.min(this.everyMs, 60_000));
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  /** @returns deliveries and messages deleted. */
  async sweep(): Promise<{ deliveries: number; messages: number }> {
    const secs = this.retentionMs / 1000;
    let deliveries = 0;
    for (;;) {
      const gone = await rows(
        this.ds,
        // The status is checked again on the rows deleted: one re-queued by a retry meanwhile stays.
        `DELETE FROM deliveries WHERE id IN (
           SELECT id FROM deliveries WHERE status <> 'pending' AND completed_at < now() - make_interval(secs => $1) LIMIT $2)
           AND status <> 'pending'
         RETURNING id`,
        [secs, this.batch],
      );
      deliveries += gone.length;
      if (gone.length < this.batch) break;
    }
    let messages = 0;
    for (;;) {
      const gone = await rows(
        this.ds,
        `DELETE FROM messages WHERE id IN (
           SELECT m.id FROM messages m WHERE m.created_at < now() - make_interval(secs => $1)
              AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id) LIMIT $2)
         RETURNING id`,
        [secs, this.batch],
      );
      messages += gone.length;
      if (gone.length < this.batch) break;
    }
    return { deliveries, messages };
  }
}
