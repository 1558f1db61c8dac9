import 'reflect-metadata';
import { isIP } from 'node:net';
import { DynamicModule, Global, LoggerService, Module, Type } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { answerClientError } from './client-errors';
import type { DataSource } from 'typeorm';
import { createServiceDataSource, initServiceDataSource, ServiceDbOptions } from '../db/data-source';
import { Messaging, MessagingConfig } from '../messaging/runtime';
import { OutboxRelay } from '../messaging/outbox';
import { messagingRetentionRules, RetentionJanitor } from '../db/retention';
import type { EventBus } from '../messaging/event-bus';
import { withCorrelationId } from '../observability/correlation';
import { logger } from '../observability/logger';
import { currentTraceId } from '../observability/nats-trace';
import { ServiceMetrics } from '../observability/metrics';
import { HealthController, METRICS, ObservabilityInterceptor, READINESS, RpcErrorFilter } from '../observability/nest';

/** What a service's module gets: its connections, its metrics and its outbox relay. */
export interface ServiceContext {
  name: string;
  messaging: Messaging;
  ds: DataSource;
  metrics: ServiceMetrics;
  relay: OutboxRelay;
  /** Prunes the outbox and inbox (and what the service adds) past their retention, on a schedule. */
  janitor: RetentionJanitor;
}

export const SERVICE_CONTEXT = Symbol('SERVICE_CONTEXT');

export interface StartServiceOptions {
  name: string;
  port: number;
  host?: string;
  messaging: MessagingConfig;
  db: Omit<ServiceDbOptions, 'schema'> & { schema?: string };
  /** The service's own module, built from its context. */
  module: (ctx: ServiceContext) => DynamicModule | Type<unknown>;
  bodyLimitBytes?: number;
  /** Runs after HTTP and RPC listen: subscribe to events, start workers. */
  afterStart?: (app: NestFastifyApplication, ctx: ServiceContext) => Promise<void>;
  /** Runs first on close: stop workers. */
  beforeClose?: (app: NestFastifyApplication, ctx: ServiceContext) => Promise<void>;
  /** Raw body for signature checks (provider callbacks, Stripe webhooks). */
  rawBody?: boolean;
}

export interface RunningService {
  name: string;
  url: string;
  app: NestFastifyApplication;
  ctx: ServiceContext;
  close(): Promise<void>;
}

const NATS_STATUS_CHANGE = /NatsError: type: "(disconnect|reconnecting|reconnect|staleConnection)"/;

class NestPinoLogger implements LoggerService {
  constructor(private readonly service: string) {}
  log(message: any, context?: string) {
    logger.debug({ service: this.service, context }, String(message));
  }
  error(message: any, trace?: string, context?: string) {
    const text = String(message);
    // Nest's NATS server reports connection status changes as errors; a NATS restart is expected
    // and the client reconnects by itself, so they are warnings (an error-level log pages someone).
    if (NATS_STATUS_CHANGE.test(text)) return logger.warn({ service: this.service, context }, text);
    logger.error({ service: this.service, context, trace }, text);
  }
  warn(message: any, context?: string) {
    logger.warn({ service: this.service, context }, String(message));
  }
}

/** Boots one service: DB (schema + migrations), messaging, HTTP (Fastify) and NATS handlers. */
export async function startService(o: StartServiceOptions): Promise<RunningService> {
  const metrics = new ServiceMetrics(o.name);
  const messaging = await Messaging.connect(o.name, o.messaging);
  const ds = createServiceDataSource({ ...o.db, schema: o.db.schema ?? o.name });
  await initServiceDataSource(ds);
  instrumentEvents(messaging, metrics);
  const relay = new OutboxRelay(ds, messaging.events);
  const janitor = new RetentionJanitor(ds, messagingRetentionRules(), metrics.registry);
  const ctx: ServiceContext = { name: o.name, messaging, ds, metrics, relay, janitor };
  metrics.collectors.push(async () => {
    const s = await relay.stats();
    metrics.outboxPending.set(s.pending);
    metrics.outboxOldestAge.set(s.oldestAgeSeconds);
  });

  const readiness = async () => {
    let db = false;
    try {
      await ds.query('SELECT 1');
      db = true;
    } catch {
      db = false;
    }
    return { postgres: db, messaging: messaging.healthy() };
  };
  // Each scrape says whether the service reaches its dependencies (alerts: PostgreSQL or NATS down).
  metrics.collectors.push(async () => {
    const r = await readiness();
    metrics.dependencyUp.set({ dependency: 'postgres' }, r.postgres ? 1 : 0);
    if (o.messaging.kind === 'nats') metrics.dependencyUp.set({ dependency: 'nats' }, r.messaging ? 1 : 0);
  });

  // The context is global so the service's own module (and its children) can inject it.
  class Core {}
  const coreProviders = [
    { provide: METRICS, useValue: metrics },
    { provide: READINESS, useValue: readiness },
    { provide: SERVICE_CONTEXT, useValue: ctx },
  ];
  Global()(Core);
  Module({ providers: coreProviders, exports: coreProviders.map((p) => p.provide) })(Core);
  Object.defineProperty(Core, 'name', { value: `${o.name}CoreModule` });
  class Root {}
  Module({
    imports: [Core, o.module(ctx)],
    controllers: [HealthController],
    providers: [
      { provide: APP_INTERCEPTOR, useClass: ObservabilityInterceptor },
      { provide: APP_FILTER, useClass: RpcErrorFilter },
    ],
  })(Root);
  Object.defineProperty(Root, 'name', { value: `${o.name}RootModule` });

  try {
    return await listen(o, Root, ctx);
  } catch (err) {
    await relay.stop();
    await messaging.close().catch(() => undefined);
    if (ds.isInitialized) await ds.destroy().catch(() => undefined);
    throw err;
  }
}

async function listen(o: StartServiceOptions, Root: Type<unknown>, ctx: ServiceContext): Promise<RunningService> {
  const { metrics, messaging, relay, ds } = ctx;
  const adapter = new FastifyAdapter({ bodyLimit: o.bodyLimitBytes ?? 1024 * 1024, trustProxy: trustedProxies(), clientErrorHandler: answerClientError });
  const app = await NestFactory.create<NestFastifyApplication>(Root, adapter, {
    logger: new NestPinoLogger(o.name),
    abortOnError: false,
    rawBody: o.rawBody ?? false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onResponse', async (req: any, reply: any) => {
    const route = req.routeOptions?.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: req.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    logRequest(req, reply, route);
  });
  app.connectMicroservice({ strategy: messaging.serverStrategy() }, { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.listen(o.port, o.host ?? '127.0.0.1');
  relay.start();
  ctx.janitor.start();
  if (o.afterStart) await o.afterStart(app, ctx);
  const address = fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : o.port;
  logger.info({ service: o.name, port, transport: o.messaging.kind }, 'service started');

  let closed = false;
  return {
    name: o.name,
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    app,
    ctx,
    async close() {
      if (closed) return;
      closed = true;
      if (o.beforeClose) await o.beforeClose(app, ctx).catch((err) => logger.warn({ err: String(err) }, 'beforeClose failed'));
      await relay.stop();
      await ctx.janitor.stop();
      await app.close().catch(() => undefined);
      await messaging.close().catch(() => undefined);
      if (ds.isInitialized) await ds.destroy().catch(() => undefined);
    },
  };
}

/**
 * Gives the service its own view of the event bus that counts every event it handles, by subject and
 * outcome (ok / error → redelivered). A view, because in embedded mode the bus is shared by all services.
 */
function instrumentEvents(messaging: Messaging, metrics: ServiceMetrics): void {
  const inner = messaging.events;
  const view: EventBus = {
    kind: inner.kind,
    publish: (subject, eventId, payload) => inner.publish(subject, eventId, payload),
    subscribe: (consumer, subjects, handler, opts) =>
      inner.subscribe(
        consumer,
        subjects,
        async (subject, payload) => {
          try {
            // The event's correlation id (the HTTP request that caused it) follows into the consumer's logs and calls.
            await withCorrelationId(correlationIdOf(payload), () => handler(subject, payload));
            metrics.eventsHandled.inc({ subject, outcome: 'ok' });
          } catch (err) {
            metrics.eventsHandled.inc({ subject, outcome: 'error' });
            throw err;
          }
        },
        {
          onDeadLetter: (letter) => {
            metrics.eventsDeadLettered.inc({ subject: letter.subject, consumer: letter.consumer });
            opts?.onDeadLetter?.(letter);
          },
        },
      ),
    deadLetters: inner.deadLetters,
    // In-process: this service's subscriptions leave the shared bus (its creator closes the bus itself).
    close: () => inner.close(),
  };
  (messaging as { events: EventBus }).events = view;
}

function correlationIdOf(payload: string): string | undefined {
  try {
    const id = (JSON.parse(payload) as { correlationId?: unknown }).correlationId;
    return typeof id === 'string' ? id.slice(0, 128) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One structured line per HTTP request, for SREs: route (the pattern, not the URL: no ids or query
 * strings), status, latency, the org and key id when authenticated, the correlation and trace ids —
 * never the key itself, a prompt, or any body. Probes and scrapes (/health, /metrics) only at debug.
 */
function logRequest(req: any, reply: any, route: string): void {
  const quiet = route.startsWith('/health') || route === '/metrics';
  if (!logger.isLevelEnabled(quiet ? 'debug' : 'info')) return;
  logHttpRequest({ method: req.method, route, status: reply.statusCode, latencyMs: reply.elapsedTime, principal: req.principal, correlationId: reply.getHeader?.('x-correlation-id') ?? undefined }, quiet);
}

/** What one request log line says (see `logRequest`). */
export interface HttpRequestLogLine {
  method: string;
  route: string;
  status: number;
  latencyMs: number;
  principal?: { orgId?: string; keyId?: string };
  correlationId?: unknown;
}

/**
 * Writes the request line `startService` writes for every request (at info; `quiet`: at debug), for
 * answers given outside Fastify's hooks (the gateway's answers from memory). Callers on a hot path
 * check `logger.isLevelEnabled('info')` first.
 */
export function logHttpRequest(r: HttpRequestLogLine, quiet = false): void {
  const line = {
    http: { method: r.method, route: r.route, status: r.status, latency_ms: Math.round(r.latencyMs * 10) / 10 },
    ...(r.principal?.orgId ? { org: r.principal.orgId, key_id: r.principal.keyId } : {}),
    correlationId: r.correlationId,
    trace_id: currentTraceId(),
  };
  if (quiet) logger.debug(line, 'request');
  else logger.info(line, 'request');
}

/**
 * Fastify's `trustProxy`: the proxies (IPs or CIDRs, comma-separated in PIPEVIDEO_TRUSTED_PROXIES) whose
 * X-Forwarded-For is believed, so `req.ip` is the client's address behind them and the peer's address
 * otherwise. Unset: no proxy is trusted (a client cannot choose its own IP by sending the header).
 * An entry that is not an IP or CIDR fails the start rather than trusting more than meant.
 */
export function trustedProxies(raw = process.env.PIPEVIDEO_TRUSTED_PROXIES ?? ''): string[] | false {
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const entry of list) {
    const [addr, bits, extra] = entry.split('/');
    const family = isIP(addr);
    const maxBits = family === 6 ? 128 : 32;
    if (!family || extra !== undefined || (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits))) {
      throw new Error(`PIPEVIDEO_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8, 127.0.0.1)`);
    }
  }
  return list.length ? list : false;
}
