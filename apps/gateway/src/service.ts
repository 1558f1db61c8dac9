import { SwaggerModule } from '@nestjs/swagger';
import { MessagingConfig, RunningService, startService, trustedProxies } from '@pipevideo/platform';
import type { AccountsConfig } from './accounts/accounts-config';
import { GatewayConfig, gatewayConfigFromEnv } from './gateway.config';
import { HumanAccounts1750000000000 } from './migrations/1750000000000-human-accounts';
import { OwnerInvites1800000000000 } from './migrations/1800000000000-owner-invites';
import { GatewayModule } from './gateway.module';
import { installUrlGuard } from './http/url-guard';
import { installStaticListener } from './http/static-listener';
import { GatewayInit1700000002000 } from './migrations/1700000002000-gateway-init';
import { UnloggedRateCounters1700000002100 } from './migrations/1700000002100-unlogged-rate-counters';
import { SlidingRateLeases1700000002200 } from './migrations/1700000002200-sliding-rate-leases';
import { AbuseControls1700000002300 } from './migrations/1700000002300-abuse-controls';
import { buildOpenApiDocument, customerDocument, operatorDocument } from './openapi/document';
import { KeySpendLimits1700000002500 } from './migrations/1700000002500-key-spend-limits';
import type { ApiKeyKind, IssuedApiKey, Organization } from './orgs/org.service';
import { GatewayComposition } from './gateway.composition';

export interface StartGatewayOptions extends Partial<Omit<GatewayConfig, 'accounts'>> {
  accounts?: Partial<AccountsConfig>;
  messaging: MessagingConfig;
  databaseUrl: string;
  port: number;
  host?: string;
  poolSize?: number;
}

/** What the embedded launcher uses to make a ready org and key without going through HTTP. */
export interface GatewayOrgsHandle {
  createOrg(name: string): Promise<Organization>;
  issueApiKey(orgId: string, name: string, kind?: ApiKeyKind): Promise<IssuedApiKey>;
}

export interface RunningGateway extends RunningService {
  orgs: GatewayOrgsHandle;
  runtime: GatewayComposition;
}

export const GATEWAY_MIGRATIONS = [GatewayInit1700000002000, UnloggedRateCounters1700000002100, SlidingRateLeases1700000002200, AbuseControls1700000002300, KeySpendLimits1700000002500, HumanAccounts1750000000000, OwnerInvites1800000000000];

/** Boots the gateway: schema `gateway`, its migrations, HTTP on `port`, RPC client over `messaging`. */
export async function startGatewayService(opts: StartGatewayOptions): Promise<RunningGateway> {
  const cfg = gatewayConfigFromEnv(opts);
  // Links in mails and the OIDC redirect URI need the public address; default: this server on localhost.
  cfg.accounts.publicUrl ??= `http://localhost:${opts.port}`;
  let runtime: GatewayComposition | undefined;
  const svc = await startService({
    name: 'gateway',
    port: opts.port,
    host: opts.host,
    messaging: opts.messaging,
    db: { url: opts.databaseUrl, migrations: GATEWAY_MIGRATIONS, poolSize: opts.poolSize },
    rawBody: true,
    bodyLimitBytes: cfg.bodyLimitBytes,
    module: (ctx) => {
      runtime = new GatewayComposition(ctx, cfg);
      return GatewayModule.forRoot(runtime);
    },
    afterStart: async (app) => {
      const rt = runtime!;
      const server = app.getHttpAdapter().getInstance().server;
      installUrlGuard(server);
      // In front of the URL guard and Fastify: the answers from memory.
      installStaticListener(server, {
        answers: rt.edge.answers,
        limits: rt.limits,
        metrics: { served: rt.edge.staticServed, requests: rt.metrics.requests, duration: rt.ctx.metrics.httpDuration },
        trustedProxies: trustedProxies(),
      });
      const full = buildOpenApiDocument(app, SwaggerModule);
      Object.assign(rt.openapiDocument, customerDocument(full));
      Object.assign(rt.operatorOpenapiDocument, operatorDocument(full));
      await rt.edge.start(rt.openapiDocument);
    },
    beforeClose: async () => runtime?.edge.stop(),
  });
  const rt = runtime!;
  return {
    ...svc,
    runtime: rt,
    orgs: {
      createOrg: (name) => rt.orgs.createOrg(name),
      issueApiKey: (orgId, name, kind = 'standard') => rt.orgs.issueApiKey(orgId, name, kind),
    },
  };
}
