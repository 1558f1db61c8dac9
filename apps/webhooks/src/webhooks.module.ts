import { DynamicModule, Module } from '@nestjs/common';
import { WebhooksApi } from './endpoints/webhooks-api';
import { WebhooksRpcController } from './rpc/webhooks.rpc-controller';

/** Nest shell around the use cases, which are built (and tested) without Nest. */
@Module({})
export class WebhooksModule {
  static forRoot(api: WebhooksApi): DynamicModule {
    return { module: WebhooksModule, controllers: [WebhooksRpcController], providers: [{ provide: WebhooksApi, useValue: api }] };
  }
}
