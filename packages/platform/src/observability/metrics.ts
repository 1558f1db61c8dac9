import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One registry per service (embedded mode runs five services in one process, each exposing its own
 * /metrics). Shared metric families live here so every service names them the same way.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly rpcDuration: Histogram<'subject' | 'outcome'>;
  readonly eventsHandled: Counter<'subject' | 'outcome'>;
  readonly eventsDeadLettered: Counter<'subject' | 'consumer'>;
  readonly outboxPending: Gauge;
  readonly outboxOldestAge: Gauge;
  /** 1 when this service reaches PostgreSQL / NATS, 0 when not (the SRE's view of its readiness). */
  readonly dependencyUp: Gauge<'dependency'>;
  /** Scrapes of /metrics refused for a missing or wrong PIPEVIDEO_METRICS_TOKEN. */
  readonly metricsScrapesRefused: Counter;
  /** Refreshers run before each scrape (gauges read from the database). */
  readonly collectors: Array<() => Promise<void>> = [];

  async scrape(): Promise<string> {
    await Promise.allSettled(this.collectors.map((c) => c()));
    return this.registry.metrics();
  }

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, prefix: 'pipevideo_' });
    this.httpDuration = new Histogram({
      name: 'pipevideo_http_request_duration_seconds',
      help: 'HTTP request latency by route template and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.rpcDuration = new Histogram({
      name: 'pipevideo_nats_handler_duration_seconds',
      help: 'NATS request/reply handler latency by subject and outcome',
      labelNames: ['subject', 'outcome'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.eventsHandled = new Counter({
      name: 'pipevideo_events_handled_total',
      help: 'Durable events handled by this service, by subject and outcome (ok, duplicate, error)',
      labelNames: ['subject', 'outcome'],
      registers: [this.registry],
    });
    this.eventsDeadLettered = new Counter({
      name: 'pipevideo_events_dead_lettered_total',
      help: 'Durable events this service gave up on after the redelivery limit (or as poison), moved to the dead-letter queue',
      labelNames: ['subject', 'consumer'],
      registers: [this.registry],
    });
    this.metricsScrapesRefused = new Counter({
      name: 'pipevideo_metrics_scrapes_refused_total',
      help: 'Requests for /metrics refused because they lacked the PIPEVIDEO_METRICS_TOKEN bearer token (a scraper misconfigured, or someone probing)',
      registers: [this.registry],
    });
    this.outboxPending = new Gauge({ name: 'pipevideo_outbox_pending_events', help: 'Outbox events not yet published', registers: [this.registry] });
    this.outboxOldestAge = new Gauge({
      name: 'pipevideo_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest unpublished outbox event (outbox lag)',
      registers: [this.registry],
    });
    this.dependencyUp = new Gauge({
      name: 'pipevideo_dependency_up',
      help: 'Whether this service reaches its dependency right now (1) or not (0): postgres, nats; measured at each scrape',
      labelNames: ['dependency'],
      registers: [this.registry],
    });
  }
}
