import { logger, type ServiceContext } from '@pipevideo/platform';
import type { WebhooksConfig } from './webhooks.config';
import { DeliveryLog } from './delivery/delivery-log';
import { DeliveryStore } from './delivery/delivery-store';
import { HttpSender } from './delivery/http-sender';
import { RetentionSweeper } from './delivery/retention';
import { RetryPolicy } from './domain/retry-policy';
import { SecretBox } from './domain/secrets';
import { Signer } from './domain/signer';
import { EndpointStore } from './endpoints/endpoint-store';
import { GenerationFinishedConsumer } from './events/generation-finished.consumer';
import { WebhookMetrics } from './webhooks.metrics';
import { DeliveryWorker } from './delivery/delivery-worker';
import { WebhooksApi } from './endpoints/webhooks-api';

/** Everything the service is made of, built from its context (plain classes; Nest only wraps the API). */
export function composeWebhooks(ctx: ServiceContext, config: WebhooksConfig, releaseOnClose: boolean) {
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

export type WebhooksComposition = ReturnType<typeof composeWebhooks>;
