import 'reflect-metadata';
import { startService, type MessagingConfig, type RunningService } from '@pipevideo/platform';
import { loadWebhooksConfig, type WebhooksConfig } from './webhooks.config';
import { DeliveryWorker } from './delivery/delivery-worker';
import { WebhooksApi } from './endpoints/webhooks-api';
import { WebhooksInit1730000000000 } from './migrations/1730000000000-webhooks-init';
import { DeliveryCorrelationId1730000000001 } from './migrations/1730000000001-delivery-correlation-id';
import { FairClaims1730000000002 } from './migrations/1730000000002-fair-claims';
import { WebhooksModule } from './webhooks.module';
import { composeWebhooks, type WebhooksComposition } from './webhooks.composition';

export { loadWebhooksConfig, parseDuration, parseSchedule, DEFAULT_RETRY_SCHEDULE } from './webhooks.config';
export type { WebhooksConfig } from './webhooks.config';
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


/** Starts the webhooks service: NATS API, `generation.finished` consumer, delivery worker, /metrics. */
/** The webhooks schema's migrations, in order. */
export const WEBHOOKS_MIGRATIONS = [WebhooksInit1730000000000, DeliveryCorrelationId1730000000001, FairClaims1730000000002];

export async function startWebhooksService(opts: WebhooksServiceOptions): Promise<RunningWebhooksService> {
  const { messaging, databaseUrl, port, host, deliver = true, releaseOnClose = true, ...overrides } = opts;
  const config = loadWebhooksConfig(overrides);
  let parts: WebhooksComposition | undefined;
  const svc = await startService({
    name: 'webhooks',
    port,
    host,
    messaging,
    db: { url: databaseUrl, migrations: WEBHOOKS_MIGRATIONS, poolSize: config.dbPoolSize },
    module: (ctx) => {
      parts = composeWebhooks(ctx, config, releaseOnClose);
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
