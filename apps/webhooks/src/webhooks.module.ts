import { DynamicModule, Module } from '@nestjs/common';
import { WebhooksApi } from './endpoints/webhooks-api';
import { WebhooksController } from './webhooks.controller';

/** Nest shell around the use cases, which are built (and tested) without Nest. */
@Module({})
export class WebhooksModule {
  static forRoot(api: WebhooksApi): DynamicModule {
    return { module: WebhooksModule, controllers: [WebhooksController], providers: [{ provide: WebhooksApi, useValue: api }] };
  }
}
