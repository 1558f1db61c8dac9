import type { DataSource } from 'typeorm';
import { Counter, type Registry } from 'prom-client';
import { envInt } from '../config/env';
import { logger } from '../observability/logger';

/** One table's pruning: a statement deleting at most `$1` expired rows (a batch), given `$2` = retention in ms. */
export interface RetentionRule {
  table: string;
  retentionMs: number;
  /** DELETE … of at most `$1` rows older than `$2` milliseconds; must use both parameters. */
  deleteBatchSql: string;
}

/** The messaging tables every service keeps (outbox, inbox), with their retention from the environment. */
export function messagingRetentionRules(): RetentionRule[] {
  return [
    {
      // A published event is JetStream's now (its msgID de-duplication window is minutes): the row is history.
      table: 'outbox',
      retentionMs: envInt('PIPEVIDEO_OUTBOX_RETENTION_MS', 60 * 60_000),
      deleteBatchSql: `DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE published_at IS NOT NULL AND published_at < now() - make_interval(secs => $2::float / 1000) ORDER BY published_at LIMIT $1)`,
    },
    {
      // The inbox de-duplicates redeliveries (stream age 7 days) and operator replays of dead letters: kept longer.
      table: 'inbox',
      retentionMs: envInt('PIPEVIDEO_INBOX_RETENTION_MS', 30 * 24 * 3600_000),
      deleteBatchSql: `DELETE FROM inbox WHERE (consumer, event_id) IN (SELECT consumer, event_id FROM inbox WHERE processed_at < now() - make_interval(secs => $2::float / 1000) ORDER BY processed_at LIMIT $1)`,
    },
  ];
}

/**
 * Deletes rows past their retention on a schedule (every `intervalMs`), in batches of `batchSize` so no
 * statement holds many locks or runs long, so tables that grow with every request (outbox, inbox,
 * idempotency keys) stay the size of their retention instead of the service's history. Replicas may
 * prune together: a row deleted twice is deleted once. Counted in `pipevideo_pruned_rows_total{table}`.
 */
export class RetentionJanitor {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;
  private readonly pruned: Counter<'table'>;

  constructor(
    private readonly ds: DataSource,
    private readonly rules: RetentionRule[],
    registry: Registry,
    private readonly intervalMs = envInt('PIPEVIDEO_PRUNE_INTERVAL_MS', 10 * 60_000),
    private readonly batchSize = 5000,
  ) {
    const existing = registry.getSingleMetric('pipevideo_pruned_rows_total') as Counter<'table'> | undefined;
    this.pruned = existing ?? new Counter({ name: 'pipevideo_pruned_rows_total', help: 'Rows deleted past their retention (outbox, inbox, idempotency keys, …), by table', labelNames: ['table'], registers: [registry] });
  }

  add(rule: RetentionRule): void {
    this.rules.push(rule);
  }

  start(): void {
    this.timer = setInterval(() => void this.runOnce().catch((err) => logger.warn({ err: String(err) }, 'pruning failed; next round retries')), this.intervalMs);
    this.timer.unref();
  }

  /** One round over every table; returns the rows deleted. Concurrent calls share one round. */
  runOnce(): Promise<number> {
    this.running ??= this.round().finally(() => (this.running = undefined));
    return this.running;
  }

  private async round(): Promise<number> {
    let total = 0;
    for (const rule of this.rules) {
      for (;;) {
        const result = await this.ds.query(rule.deleteBatchSql, [this.batchSize, rule.retentionMs]);
        const n = Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
        if (n > 0) this.pruned.inc({ table: rule.table }, n);
        total += n;
        if (n < this.batchSize) break;
      }
    }
    return total;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}
