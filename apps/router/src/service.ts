import { MessagingConfig, RunningService, ServiceContext, startService } from '@pipevideo/platform';
import { Generations1700000001000 } from './migrations/1700000001000-generations';
import { GenerationsKeysetIndex1700000001100 } from './migrations/1700000001100-generations-keyset-index';
import { GenerationsIdempotencyKey1700000001200 } from './migrations/1700000001200-generations-idempotency-key';
import { GenerationsInFlightIndex1700000001400 } from './migrations/1700000001400-generations-in-flight-index';
import { GenerationsTokenCostUsd1700000001300 } from './migrations/1700000001300-generations-token-cost-usd';
import { GenerationsDeletedAt1700000001700 } from './migrations/1700000001700-generations-deleted-at';
import { GenerationsByok1780000000100 } from './migrations/1780000000100-generations-byok';
import { GenerationStoredOutputs1760000000100 } from './migrations/1760000000100-generation-stored-outputs';
import { AppRankings1700000001400 } from './migrations/1700000001400-app-rankings';
import { GenerationsKeyLimit1700000001400 } from './migrations/1700000001400-generations-key-limit';
import { CreateGenerationFunction1790000001000 } from './migrations/1790000001000-create-generation-function';
import { OrgInFlightCounter1790000001100 } from './migrations/1790000001100-org-in-flight-counter';
import { RouterModule } from './router.module';
import { RouterComposition } from './router.composition';
import { RouterConfig, routerConfigFromEnv } from './router.config';

/** The router's schema history, in order. */
export const ROUTER_MIGRATIONS = [
  Generations1700000001000, GenerationsKeysetIndex1700000001100, GenerationsIdempotencyKey1700000001200, GenerationsTokenCostUsd1700000001300,
  GenerationsInFlightIndex1700000001400, AppRankings1700000001400, GenerationsKeyLimit1700000001400, GenerationsDeletedAt1700000001700,
  GenerationStoredOutputs1760000000100, GenerationsByok1780000000100, CreateGenerationFunction1790000001000,
  OrgInFlightCounter1790000001100,
];

export interface RouterServiceOptions {
  messaging: MessagingConfig;
  databaseUrl: string;
  port: number;
  host?: string;
  config?: Partial<RouterConfig>;
}

export async function startRouterService(o: RouterServiceOptions): Promise<RunningService & { engine: RouterComposition }> {
  let engine!: RouterComposition;
  const cfg = routerConfigFromEnv(o.config);
  const svc = await startService({
    name: 'router',
    port: o.port,
    host: o.host,
    messaging: o.messaging,
    db: { url: o.databaseUrl, migrations: ROUTER_MIGRATIONS, poolSize: 20 },
    module: (ctx: ServiceContext) => {
      engine = new RouterComposition(ctx, cfg);
      return RouterModule.forRoot(engine);
    },
    afterStart: async () => engine.start(),
    beforeClose: async () => engine.stop(),
  });
  return Object.assign(svc, { engine });
}
