import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  RPC, validateMessage, WebhookDeliveryListMsg, WebhookDeliveryRetryMsg, WebhookEndpointCreateMsg, WebhookEndpointListMsg,
  WebhookEndpointRefMsg, WebhookEndpointUpdateMsg,
} from '@pipevideo/contracts';
import { WebhooksApi } from './endpoints/webhooks-api';

/** The NATS API: validate, delegate. Every reply is the public HTTP body the gateway passes through. */
@Controller()
export class WebhooksController {
  constructor(@Inject(WebhooksApi) private readonly api: WebhooksApi) {}

  @MessagePattern(RPC.webhooks.endpointCreate)
  create(@Payload() data: unknown) {
    return this.api.create(validateMessage(WebhookEndpointCreateMsg, data));
  }

  @MessagePattern(RPC.webhooks.endpointList)
  list(@Payload() data: unknown) {
    return this.api.list(validateMessage(WebhookEndpointListMsg, data));
  }

  @MessagePattern(RPC.webhooks.endpointGet)
  get(@Payload() data: unknown) {
    return this.api.get(validateMessage(WebhookEndpointRefMsg, data));
  }

  @MessagePattern(RPC.webhooks.endpointUpdate)
  update(@Payload() data: unknown) {
    return this.api.update(validateMessage(WebhookEndpointUpdateMsg, data));
  }

  @MessagePattern(RPC.webhooks.endpointDelete)
  delete(@Payload() data: unknown) {
    return this.api.delete(validateMessage(WebhookEndpointRefMsg, data));
  }

  @MessagePattern(RPC.webhooks.endpointRotate)
  rotate(@Payload() data: unknown) {
    return this.api.rotate(validateMessage(WebhookEndpointRefMsg, data));
  }

  @MessagePattern(RPC.webhooks.endpointTest)
  test(@Payload() data: unknown) {
    return this.api.test(validateMessage(WebhookEndpointRefMsg, data));
  }

  @MessagePattern(RPC.webhooks.deliveryList)
  deliveries(@Payload() data: unknown) {
    return this.api.deliveries(validateMessage(WebhookDeliveryListMsg, data));
  }

  @MessagePattern(RPC.webhooks.deliveryRetry)
  retry(@Payload() data: unknown) {
    return this.api.retry(validateMessage(WebhookDeliveryRetryMsg, data));
  }
}
