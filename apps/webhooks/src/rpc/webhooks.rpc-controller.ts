import { Controller, Inject } from '@nestjs/common';
import {
  RPC, WebhookDeliveryListMsg, WebhookDeliveryRetryMsg, WebhookEndpointCreateMsg, WebhookEndpointListMsg,
  WebhookEndpointRefMsg, WebhookEndpointUpdateMsg,
} from '@pipevideo/contracts';
import { Handles } from '@pipevideo/platform';
import { WebhooksApi } from '../endpoints/webhooks-api';

/** The NATS API: requests arrive decoded (@Handles); delegate. Every reply is the public HTTP body the gateway passes through. */
@Controller()
export class WebhooksRpcController {
  constructor(@Inject(WebhooksApi) private readonly api: WebhooksApi) {}

  @Handles(RPC.webhooks.endpointCreate)
  create(msg: WebhookEndpointCreateMsg) {
    return this.api.create(msg);
  }

  @Handles(RPC.webhooks.endpointList)
  list(msg: WebhookEndpointListMsg) {
    return this.api.list(msg);
  }

  @Handles(RPC.webhooks.endpointGet)
  get(msg: WebhookEndpointRefMsg) {
    return this.api.get(msg);
  }

  @Handles(RPC.webhooks.endpointUpdate)
  update(msg: WebhookEndpointUpdateMsg) {
    return this.api.update(msg);
  }

  @Handles(RPC.webhooks.endpointDelete)
  delete(msg: WebhookEndpointRefMsg) {
    return this.api.delete(msg);
  }

  @Handles(RPC.webhooks.endpointRotate)
  rotate(msg: WebhookEndpointRefMsg) {
    return this.api.rotate(msg);
  }

  @Handles(RPC.webhooks.endpointTest)
  test(msg: WebhookEndpointRefMsg) {
    return this.api.test(msg);
  }

  @Handles(RPC.webhooks.deliveryList)
  deliveries(msg: WebhookDeliveryListMsg) {
    return this.api.deliveries(msg);
  }

  @Handles(RPC.webhooks.deliveryRetry)
  retry(msg: WebhookDeliveryRetryMsg) {
    return this.api.retry(msg);
  }
}
