import { FilesController } from './controllers/files.controller';
import { DynamicModule, Module } from '@nestjs/common';
import { AdminController } from './controllers/admin.controller';
import { AuthController } from './controllers/auth.controller';
import { OrgsController } from './controllers/orgs.controller';
import { AdminDeadLettersController } from './controllers/admin-dead-letters.controller';
import { BillingController } from './controllers/billing.controller';
import { KeysController } from './controllers/keys.controller';
import { ResponsesController } from './controllers/responses.controller';
import { WebhooksController } from './controllers/webhooks.controller';
import { ProviderKeysController } from './controllers/provider-keys.controller';
import { AppsController } from './controllers/apps.controller';
import { CatalogController } from './controllers/catalog.controller';
import { DocsController } from './controllers/docs.controller';
import { GenerationsController } from './controllers/generations.controller';
import { VideosController } from './controllers/videos.controller';
import { AuthGuard } from './http/auth';
import { GatewayExceptionFilter } from './http/exception.filter';
import { HttpSetup } from './http/http-setup';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { GATEWAY_COMPOSITION, GatewayComposition } from './gateway.composition';

@Module({})
export class GatewayModule {
  static forRoot(rt: GatewayComposition): DynamicModule {
    return {
      module: GatewayModule,
      controllers: [
        GenerationsController,
        ResponsesController,
        VideosController,
        CatalogController,
        AppsController,
        BillingController,
        WebhooksController,
        ProviderKeysController,
        KeysController,
        AuthController,
        OrgsController,
        AdminController,
        AdminDeadLettersController,
        DocsController,
        FilesController,
      ],
      providers: [{ provide: GATEWAY_COMPOSITION, useValue: rt }, AuthGuard, IdempotencyInterceptor, GatewayExceptionFilter, HttpSetup],
    };
  }
}
