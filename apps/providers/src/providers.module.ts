import { Module, type DynamicModule } from '@nestjs/common';
import { CallbacksController } from './http/callbacks.controller';
import { PROVIDERS_COMPOSITION, type ProvidersComposition } from './providers.composition';
import { JobsRpcController } from './rpc/jobs.controller';
import { KeysRpcController } from './rpc/keys.controller';

@Module({})
export class ProvidersModule {
  static forRoot(core: ProvidersComposition): DynamicModule {
    return {
      module: ProvidersModule,
      controllers: [JobsRpcController, KeysRpcController, CallbacksController],
      providers: [{ provide: PROVIDERS_COMPOSITION, useValue: core }],
    };
  }
}
