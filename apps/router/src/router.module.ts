import { Module, type DynamicModule } from '@nestjs/common';
import { ROUTER_COMPOSITION, RouterRpcController } from './rpc/router.rpc-controller';
import type { RouterComposition } from './router.composition';

/** Nest shell around the router's composition root (built and tested without Nest). */
@Module({})
export class RouterModule {
  static forRoot(composition: RouterComposition): DynamicModule {
    return { module: RouterModule, controllers: [RouterRpcController], providers: [{ provide: ROUTER_COMPOSITION, useValue: composition }] };
  }
}
