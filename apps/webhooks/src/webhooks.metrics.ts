import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AttemptKind } from './delivery/http-sender';
import type { DisableReason } from './domain/retry-policy';
import type { QueueStats } from './delivery/delivery-store';

export type DeliveryOutcome = 'succeeded' | 'failed' | 'exhausted';

/** The webhooks service's own metrics (labels are bounded enums, never ids or URLs). */
export class WebhookMetrics {
  readonly deliveries: Counter<'outcome'>;
  readonly attempts: Counter<'result'>;
  readonly attemptDuration: Histogram;
  readonly backlog: Gauge;
  readonly oldestPendingAge: Gauge;
  readonly endpointsDisabled: Counter<'reason'>;
  readonly signFailures: Counter;

  constructor(registry: Registry) {
    const registers = [registry];
    this.deliveries = new Counter({
      name: 'pipevideo_webhook_deliveries_total',
      help: 'Deliveries that reached a final state, by outcome (succeeded, failed = given up early: 410 or endpoint disabled, exhausted = all retries failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.attempts = new Counter({
      name: 'pipevideo_webhook_delivery_attempts_total',
      help: 'HTTP delivery attempts, by result (ok, http_3xx, http_4xx, http_5xx, timeout, network, refused, aborted)',
      labelNames: ['result'],
      registers,
    });
    this.attemptDuration = new Histogram({
      name: 'pipevideo_webhook_delivery_duration_seconds',
      help: 'Duration of one delivery attempt, request sent to answer read (or timeout)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.backlog = new Gauge({ name: 'pipevideo_webhook_backlog', help: 'Pending deliveries (due, waiting for a retry, or in flight)', registers });
    this.oldestPendingAge = new Gauge({
      name: 'pipevideo_webhook_oldest_pending_age_seconds',
      help: 'How long the oldest due delivery has been waiting for a worker (delivery lag)',
      registers,
    });
    this.endpointsDisabled = new Counter({
      name: 'pipevideo_webhook_endpoints_disabled_total',
      help: 'Endpoints disabled, by reason (gone = answered 410, failing = failing too long, exhausted = too many exhausted deliveries, manual = by the org)',
      labelNames: ['reason'],
      registers,
    });
    this.signFailures = new Counter({
      name: 'pipevideo_webhook_sign_failures_total',
      help: 'Attempts not sent because the signing secret could not be opened (e.g. PIPEVIDEO_WEBHOOKS_ENCRYPTION_KEY changed): ours to fix, alert on any',
      registers,
    });
    for (const outcome of ['succeeded', 'failed', 'exhausted'] as DeliveryOutcome[]) this.deliveries.inc({ outcome }, 0);
    for (const reason of ['gone', 'failing', 'exhausted', 'manual'] as DisableReason[]) this.endpointsDisabled.inc({ reason }, 0);
  }

  attempt(kind: AttemptKind, latencyMs: number): void {
    this.attempts.inc({ result: kind });
    if (kind !== 'refused' && kind !== 'aborted') this.attemptDuration.observe(latencyMs / 1000);
  }

  setQueue(s: QueueStats): void {
    this.backlog.set(s.pending);
    this.oldestPendingAge.set(s.oldestDueAgeSeconds);
  }
}
