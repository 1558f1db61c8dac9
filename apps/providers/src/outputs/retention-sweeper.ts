import { logger, type ObjectStorage } from '@pipevideo/platform';
import type { DataSource } from 'typeorm';
import type { ProviderMetrics } from '../providers.metrics';

/**
 * Deletes stored outputs whose retention ended (`PIPEVIDEO_OUTPUT_RETENTION_SECONDS`, default 7 days).
 * Rows are claimed with SKIP LOCKED so replicas share the work; the file is deleted first and the row
 * marked after, so a crash in between only deletes again (deleting a missing object is not an error).
 * The API needs no word from here: it answers 410 from the retention end it was told at completion.
 */
export class RetentionSweeper {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly ds: DataSource,
    private readonly storage: ObjectStorage,
    private readonly intervalMs: number,
    private readonly metrics?: ProviderMetrics,
  ) {}

  start(): void {
    const loop = () => {
      this.running = this.sweep()
        .then(() => undefined)
        .catch((err) => logger.warn({ err: String(err) }, 'output retention sweep failed'))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(loop, this.intervalMs);
        });
    };
    this.timer = setTimeout(loop, Math.min(this.intervalMs, 1000));
  }

  async stop(): Promise<void> {
    const t = this.timer;
    this.timer = undefined;
    if (t) clearTimeout(t);
    await this.running;
  }

  /** One pass: deletes up to `limit` expired files; returns how many. */
  async sweep(limit = 100): Promise<number> {
    return this.ds.transaction(async (m) => {
      const due: Array<{ key: string; kind: string }> = await m.query(
        `SELECT key, kind FROM stored_outputs WHERE deleted_at IS NULL AND retained_until <= now() ORDER BY retained_until LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      );
      for (const d of due) {
        await this.storage.delete(d.key);
        await m.query(`UPDATE stored_outputs SET deleted_at = now() WHERE key = $1`, [d.key]);
        this.metrics?.outputsDeleted.inc({ kind: d.kind });
      }
      return due.length;
    });
  }
}
