import {
  badRequest, decodeCursor, notFound, pageOf, WEBHOOK_EVENT_TYPES, WebhookDeliveryListMsg, WebhookDeliveryRetryMsg, WebhookDeliveryView, WebhookEndpointCreateMsg,
  WebhookEndpointDeleted, WebhookEndpointListMsg, WebhookEndpointRefMsg, WebhookEndpointUpdateMsg, WebhookEndpointView,
  WebhookEndpointWithSecret, WebhookListPage,
} from '@pipevideo/contracts';
import { checkOutboundUrl, currentCorrelationId, type UrlPolicy } from '@pipevideo/platform';
import type { DataSource } from 'typeorm';
import { testEvent } from '../domain/event-payloads';
import { newId } from '../domain/ids';
import type { RetryPolicy } from '../domain/retry-policy';
import { generateSigningSecret, type SecretBox } from '../domain/secrets';
import { deliveryView, endpointView, type EndpointRow } from '../domain/views';
import type { DeliveryLog } from '../delivery/delivery-log';
import type { DeliveryStore } from '../delivery/delivery-store';
import type { WebhookMetrics } from '../webhooks.metrics';
import type { EndpointStore } from './endpoint-store';

export interface WebhooksApiOptions {
  urlPolicy: UrlPolicy;
  rotationOverlapMs: number;
  maxEndpointsPerOrg: number;
}

const DEFAULT_PAGE = 20;
const endpointNotFound = () => notFound('webhook endpoint not found');

/**
 * The use cases behind the webhooks NATS API (the gateway's /v1/webhooks routes). Validated
 * messages in, public reply shapes out; DomainErrors for anything the caller must fix.
 */
export class WebhooksApi {
  constructor(
    private readonly ds: DataSource,
    private readonly endpoints: EndpointStore,
    private readonly queue: DeliveryStore,
    private readonly log: DeliveryLog,
    private readonly secrets: SecretBox,
    private readonly policy: RetryPolicy,
    private readonly metrics: WebhookMetrics,
    /** New deliveries are committed: wake the worker. */
    private readonly kick: () => void,
    private readonly o: WebhooksApiOptions,
  ) {}

  async create(msg: WebhookEndpointCreateMsg): Promise<WebhookEndpointWithSecret> {
    const url = await this.checkUrl(msg.url);
    const secret = generateSigningSecret();
    const row = await this.endpoints.insertUnderCap(
      {
        id: newId('ep'),
        orgId: msg.orgId,
        url,
        description: msg.description ?? '',
        events: msg.events ?? [...WEBHOOK_EVENT_TYPES],
        sealedSecret: this.secrets.seal(secret),
      },
      this.o.maxEndpointsPerOrg,
      () => badRequest(`an organization can have at most ${this.o.maxEndpointsPerOrg} webhook endpoints; delete one first`),
    );
    return { ...endpointView(row), secret };
  }

  async list(msg: WebhookEndpointListMsg): Promise<WebhookListPage<WebhookEndpointView>> {
    const limit = msg.limit ?? DEFAULT_PAGE;
    const found = await this.endpoints.page(msg.orgId, limit, decodeCursor(msg.cursor));
    return page(found, limit, (r) => endpointView(r));
  }

  async get(msg: WebhookEndpointRefMsg): Promise<WebhookEndpointView> {
    return endpointView(await this.mustFind(msg.orgId, msg.id));
  }

  async update(msg: WebhookEndpointUpdateMsg): Promise<WebhookEndpointView> {
    const url = msg.url !== undefined ? await this.checkUrl(msg.url) : undefined;
    let disabled = false;
    const row = await this.ds.transaction(async (m) => {
      const current = await this.endpoints.find(msg.orgId, msg.id, m, true);
      if (!current) throw endpointNotFound();
      await this.endpoints.update(m, current.id, { url, description: msg.description, events: msg.events });
      if (msg.enabled === true && !current.enabled) await this.endpoints.enable(m, current.id);
      if (msg.enabled === false && current.enabled) {
        await this.queue.disableEndpoint(m, current.id, this.policy.describe('manual'));
        disabled = true;
      }
      return (await this.endpoints.find(msg.orgId, msg.id, m))!;
    });
    if (disabled) {
      this.metrics.endpointsDisabled.inc({ reason: 'manual' });
      const givenUp = await this.queue.giveUpWaiting(row.id);
      if (givenUp) this.metrics.deliveries.inc({ outcome: 'failed' }, givenUp);
    }
    return endpointView(row);
  }

  async delete(msg: WebhookEndpointRefMsg): Promise<WebhookEndpointDeleted> {
    if (!(await this.endpoints.delete(msg.orgId, msg.id))) throw endpointNotFound();
    return { id: msg.id, object: 'webhook_endpoint', deleted: true };
  }

  /** A new secret, shown once; the old one keeps signing alongside it for the overlap window. */
  async rotate(msg: WebhookEndpointRefMsg): Promise<WebhookEndpointWithSecret> {
    const secret = generateSigningSecret();
    const row = await this.ds.transaction(async (m) => {
      const current = await this.endpoints.find(msg.orgId, msg.id, m, true);
      if (!current) throw endpointNotFound();
      return this.endpoints.rotate(m, current.id, this.secrets.seal(secret), this.o.rotationOverlapMs);
    });
    return { ...endpointView(row), secret };
  }

  /** Queues a `webhook.test` event for this endpoint only, delivered (signed, retried, logged) like any other. */
  async test(msg: WebhookEndpointRefMsg): Promise<WebhookDeliveryView> {
    const endpoint = await this.mustFind(msg.orgId, msg.id);
    if (!endpoint.enabled) throw badRequest('the webhook endpoint is disabled; enable it before sending a test event');
    // Its attempts log under the id of the call that asked for it (the RPC interceptor set it).
    const correlationId = currentCorrelationId();
    const [created] = await this.ds.transaction((m) =>
      this.queue.enqueue(m, testEvent(msg.orgId, msg.id), newId('msg'), null, msg.id, correlationId),
    );
    if (!created) throw endpointNotFound(); // deleted or disabled in between
    this.kick();
    return deliveryView(created);
  }

  async deliveries(msg: WebhookDeliveryListMsg): Promise<WebhookListPage<WebhookDeliveryView>> {
    await this.mustFind(msg.orgId, msg.endpointId);
    const limit = msg.limit ?? DEFAULT_PAGE;
    const found = await this.log.page(msg.orgId, msg.endpointId, msg.status, limit, decodeCursor(msg.cursor));
    const now = new Date();
    return page(found, limit, (r) => deliveryView(r, now));
  }

  /** Re-queues a delivery for an attempt now (a replay, if it had succeeded). */
  async retry(msg: WebhookDeliveryRetryMsg): Promise<WebhookDeliveryView> {
    const delivery = await this.log.find(msg.orgId, msg.id);
    if (!delivery || (msg.endpointId !== undefined && delivery.endpoint_id !== msg.endpointId)) throw notFound('webhook delivery not found');
    const endpoint = await this.endpoints.find(msg.orgId, delivery.endpoint_id);
    if (!endpoint) throw notFound('webhook delivery not found');
    if (!endpoint.enabled) throw badRequest('the webhook endpoint is disabled; enable it before retrying its deliveries');
    const row = await this.log.requeue(msg.orgId, msg.id);
    if (!row) throw notFound('webhook delivery not found');
    this.kick();
    return deliveryView(row);
  }

  private async mustFind(orgId: string, id: string): Promise<EndpointRow> {
    const row = await this.endpoints.find(orgId, id);
    if (!row) throw endpointNotFound();
    return row;
  }

  /** Refuses URLs the SSRF policy forbids, with the reason; returns the normalised URL. */
  private async checkUrl(raw: string): Promise<string> {
    const url = raw.trim();
    const reason = await checkOutboundUrl(url, this.o.urlPolicy);
    if (reason) throw badRequest(`url ${reason}`);
    return new URL(url).toString();
  }
}

function page<R extends { id: string; created_key: string }, V>(found: R[], limit: number, view: (r: R) => V): WebhookListPage<V> {
  const { rows, next_cursor } = pageOf(found, limit);
  return { object: 'list', data: rows.map(view), has_more: next_cursor !== null, next_cursor };
}
