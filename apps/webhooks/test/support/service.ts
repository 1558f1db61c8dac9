import { randomUUID } from 'node:crypto';
import { EVENTS, RPC, type GenerationFinishedEvt, type RpcReply, type RpcSend, type RpcSubject, type WebhookDeliveryView, type WebhookListPage } from '@pipevideo/contracts';
import { createInProcessWiring, type MessagingConfig, type TestDatabase } from '@pipevideo/platform';
import { startWebhooksService, type RunningWebhooksService, type WebhooksServiceOptions } from '../../src';

/** Fast settings for tests: loopback receivers allowed, retries 100 ms apart, short leases. */
export function testOptions(db: TestDatabase, o: Partial<WebhooksServiceOptions> = {}): WebhooksServiceOptions {
  return {
    messaging: { kind: 'inprocess', wiring: createInProcessWiring() },
    databaseUrl: db.url,
    port: 0,
    allowHttp: true,
    allowPrivate: true,
    encryptionKey: 'test-encryption-key',
    retryScheduleMs: [100, 100, 100],
    retryJitter: 0,
    pollIntervalMs: 50,
    timeoutMs: 5000,
    leaseMarginMs: 500,
    shutdownGraceMs: 100,
    disableAfterExhausted: 2,
    consumerName: `webhooks-${db.name}`,
    ...o,
  };
}

export async function startTestService(db: TestDatabase, o: Partial<WebhooksServiceOptions> = {}): Promise<RunningWebhooksService> {
  return startWebhooksService(testOptions(db, o));
}

export function finishedEvent(orgId: string, o: Partial<GenerationFinishedEvt> = {}): GenerationFinishedEvt {
  const generationId = `gen_${randomUUID().slice(0, 8)}`;
  return {
    v: 1,
    eventId: randomUUID(),
    api: 'video',
    generationId,
    orgId,
    status: 'completed',
    succeeded: true,
    model: 'google/veo-3.1',
    provider: 'fal',
    holdId: `${generationId}:1`,
    costCents: 125,
    keepTokenCharge: false,
    outputUrl: `https://cdn.example.com/${generationId}.mp4`,
    errorMessage: null,
    finishedAt: new Date().toISOString(),
    ...o,
  };
}

/** Publishes a `generation.finished` event the way the router's outbox relay does. */
export async function publish(svc: RunningWebhooksService, evt: GenerationFinishedEvt): Promise<void> {
  await svc.ctx.messaging.events.publish(EVENTS.generationFinished, evt.eventId, JSON.stringify(evt));
}

/** A typed call; tests also send hostile payloads (missing or unknown fields), which the handler must refuse. */
export function rpc<S extends RpcSubject>(svc: RunningWebhooksService, subject: S, payload: RpcSend<S> | Record<string, unknown>): Promise<RpcReply<S>> {
  return svc.ctx.messaging.rpc.request(subject, payload as RpcSend<S>);
}

/** Polls the delivery log until `pred` holds for the endpoint's deliveries. */
export async function waitForDeliveries(
  svc: RunningWebhooksService,
  orgId: string,
  endpointId: string,
  pred: (d: WebhookDeliveryView[]) => boolean,
  timeoutMs = 15_000,
): Promise<WebhookDeliveryView[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const page = await rpc(svc, RPC.webhooks.deliveryList, { orgId, endpointId, limit: 100 });
    if (pred(page.data)) return page.data;
    if (Date.now() > deadline) throw new Error(`timed out waiting for deliveries; last: ${JSON.stringify(page.data)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export type { MessagingConfig };
