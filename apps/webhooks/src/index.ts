import 'reflect-metadata';
import { logger, startService, type MessagingConfig, type RunningService, type ServiceContext } from '@pipevideo/platform';
import { loadWebhooksConfig, type WebhooksConfig } from './config';
import { DeliveryLog } from './delivery/delivery-log';
import { DeliveryStore } from './delivery/delivery-store';
import { DeliveryWorker } from './delivery/delivery-worker';
import { HttpSender } from './delivery/http-sender';
import { RetentionSweeper } from './delivery/retention';
import { RetryPolicy } from './domain/retry-policy';
import { SecretBox } from './domain/secrets';
import { Signer } from './domain/signer';
import { EndpointStore } from './endpoints/endpoint-store';
import { WebhooksApi } from './endpoints/webhooks-api';
import { GenerationFinishedConsumer } from './events/generation-finished.consumer';
import { WebhookMetrics } from './metrics';
import { WebhooksInit1730000000000 } from './migrations/1730000000000-webhooks-init';
import { DeliveryCorrelationId1730000000001 } from './migrations/1730000000001-delivery-correlation-id';
import { FairClaims1730000000002 } from './migrations/1730000000002-fair-claims';
import { WebhooksModule } from './webhooks.module';

export { loadWebhooksConfig, parseDuration, parseSchedule, DEFAULT_RETRY_SCHEDULE } from './config';
export type { WebhooksConfig } from './config';
export { DeliveryWorker } from './delivery/delivery-worker';
export { WebhooksApi } from './endpoints/webhooks-api';

export interface WebhooksServiceOptions extends Partial<WebhooksConfig> {
  messaging: MessagingConfig;
  databaseUrl: string;
  port: number;
  host?: string;
  /** Run the delivery worker in this instance (default true; an API-only replica sets false). */
  deliver?: boolean;
  /** On close, hand attempts cut short back to the queue at once (default true) instead of leaving them to their lease. */
  releaseOnClose?: boolean;
}

export interface RunningWebhooksService extends RunningService {
  config: WebhooksConfig;
  worker: DeliveryWorker;
  api: WebhooksApi;
}

/** Everything the service is made of, built from its context (plain classes; Nest only wraps the API). */
function assemble(ctx: ServiceContext, config: WebhooksConfig, releaseOnClose: boolean) {
  const secrets = new SecretBox(config.encryptionKey);
  if (!secrets.encrypts) logger.warn('PIPEVIDEO_WEBHOOKS_ENCRYPTION_KEY is not set: webhook signing secrets are stored unencrypted');
  const metrics = new WebhookMetrics(ctx.metrics.registry);
  const policy = new RetryPolicy(config);
  const queue = new DeliveryStore(ctx.ds);
  const sender = new HttpSender({ allowHttp: config.allowHttp, allowPrivate: config.allowPrivate }, config.timeoutMs);
  const worker = new DeliveryWorker(queue, sender, new Signer(), secrets, policy, metrics, {
    concurrency: config.concurrency,
    caps: {
      perEndpoint: config.maxInFlightPerEndpoint,
      perOrg: config.maxInFlightPerOrg,
      ratePerSecond: config.endpointRatePerSecond,
      burst: config.endpointRatePerSecond,
    },
    pollIntervalMs: config.pollIntervalMs,
    // A send may take two posts (one retry on a fresh socket after a stale kept-alive one) plus the DNS check.
    leaseMs: 2 * config.timeoutMs + config.leaseMarginMs,
    shutdownGraceMs: config.shutdownGraceMs,
    releaseOnClose,
  });
  const kick = () => worker.kick();
  const api = new WebhooksApi(ctx.ds, new EndpointStore(ctx.ds), queue, new DeliveryLog(ctx.ds), secrets, policy, metrics, kick, {
    urlPolicy: { allowHttp: config.allowHttp, allowPrivate: config.allowPrivate },
    rotationOverlapMs: config.rotationOverlapMs,
    maxEndpointsPerOrg: config.maxEndpointsPerOrg,
  });
  const consumer = new GenerationFinishedConsumer(ctx.ds, queue, kick);
  ctx.metrics.collectors.push(async () => metrics.setQueue(await queue.stats()));
  const retention = new RetentionSweeper(ctx.ds, config.retentionMs);
  return { api, worker, sender, consumer, retention };
}

/** Starts the webhooks service: NATS API, `generation.finished` consumer, delivery worker, /metrics. */
/** The webhooks schema's migrations, in order. */
export const WEBHOOKS_MIGRATIONS = [WebhooksInit1730000000000, DeliveryCorrelationId1730000000001, FairClaims1730000000002];

export async function startWebhooksService(opts: WebhooksServiceOptions): Promise<RunningWebhooksService> {
  const { messaging, databaseUrl, port, host, deliver = true, releaseOnClose = true, ...overrides } = opts;
  const config = loadWebhooksConfig(overrides);
  let parts: ReturnType<typeof assemble> | undefined;
  const svc = await startService({
    name: 'webhooks',
    port,
    host,
    messaging,
    db: { url: databaseUrl, migrations: WEBHOOKS_MIGRATIONS, poolSize: config.dbPoolSize },
    module: (ctx) => {
      parts = assemble(ctx, config, releaseOnClose);
      return WebhooksModule.forRoot(parts.api);
    },
    afterStart: async (_app, ctx) => {
      await parts!.consumer.subscribe(ctx.messaging.events, config.consumerName);
      if (deliver) {
        parts!.worker.start();
        parts!.retention.start();
      }
    },
    beforeClose: async () => {
      parts!.retention.stop();
      await parts!.worker.stop();
      parts!.sender.close();
    },
  });
  return Object.assign(svc, { config, worker: parts!.worker, api: parts!.api });
}
