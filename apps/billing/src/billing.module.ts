import { Module, type DynamicModule } from '@nestjs/common';
import type { BillingComposition } from './billing.composition';
import { BILLING_COMPOSITION, BillingRpcController } from './rpc/billing.rpc-controller';

/** Nest shell around billing's composition root (built and tested without Nest). */
@Module({})
export class BillingModule {
  static forRoot(composition: BillingComposition): DynamicModule {
    return { module: BillingModule, controllers: [BillingRpcController], providers: [{ provide: BILLING_COMPOSITION, useValue: composition }] };
  }
}
