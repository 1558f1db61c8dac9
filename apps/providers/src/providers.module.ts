import { Module, type DynamicModule } from '@nestjs/common';
import { CallbacksController } from './http/callbacks.controller';
import { PROVIDERS_CORE, type ProvidersCore } from './providers-core';
import { JobsRpcController } from './rpc/jobs.controller';
import { KeysRpcController } from './rpc/keys.controller';

@Module({})
export class ProvidersModule {
  static forCore(core: ProvidersCore): DynamicModule {
    return {
      module: ProvidersModule,
      controllers: [JobsRpcController, KeysRpcController, CallbacksController],
      providers: [{ provide: PROVIDERS_CORE, useValue: core }],
    };
  }
}
