import { dirname, join } from 'node:path';
import { createInProcessWiring, envInt, envStr, logger, MessagingConfig, natsAnswers, RunningService } from '@pipevideo/platform';
import { randomBytes } from 'node:crypto';
import { RunningMailSandbox, RunningOidcSandbox, startAllSandboxes, startMailSandbox, startOidcSandbox, SandboxSet, StripeStandIn } from '@pipevideo/sandboxes';
import { startBillingService } from '@pipevideo/billing';
import { startGatewayService } from '@pipevideo/gateway';
import { startProvidersService } from '@pipevideo/providers';
import { startRouterService } from '@pipevideo/router';
import { startWebhooksService } from '@pipevideo/webhooks';

export interface EmbeddedOptions {
  databaseUrl: string;
  /** NATS URL to use when it answers; otherwise the in-process transport. */
  natsUrl?: string;
  gatewayPort: number;
  /** billing, router, providers, webhooks listen on base, base+1, … (health and metrics; providers' callbacks). */
  internalPortBase: number;
  sandboxPortBase: number;
  host?: string;
  adminToken?: string;
}

export interface EmbeddedPlatform {
  baseUrl: string;
  transport: 'nats' | 'inprocess';
  services: RunningService[];
  sandboxes: SandboxSet;
  /** The local mail sandbox, unless PIPEVIDEO_SMTP_URL names a real SMTP server. */
  mail?: RunningMailSandbox;
  /** The local OIDC issuer, unless PIPEVIDEO_OIDC_ISSUER names a real one. */
  oidc?: RunningOidcSandbox;
  /** The Stripe sandbox (API + hosted checkout page), unless STRIPE_SECRET_KEY names a real Stripe account. */
  stripeUrl?: string;
  gateway: Awaited<ReturnType<typeof startGatewayService>>;
  close(): Promise<void>;
}

/**
 * The built dashboard the gateway serves at `/` (PIPEVIDEO_DASHBOARD_DIR overrides it; `off` serves none).
 * Resolved through the workspace package, so it is found wherever the checkout lives.
 */
function dashboardDir(): string | undefined {
  const fromEnv = process.env.PIPEVIDEO_DASHBOARD_DIR;
  if (fromEnv === 'off') return undefined;
  if (fromEnv) return fromEnv;
  return join(dirname(require.resolve('@pipevideo/dashboard/package.json')), 'dist/public');
}

/** All five services in one process, wired exactly as in microservices mode but for the transport. */
export async function startEmbeddedPlatform(o: EmbeddedOptions): Promise<EmbeddedPlatform> {
  const natsUrl = o.natsUrl ?? envStr('NATS_URL', 'nats://127.0.0.1:4222');
  const useNats = envStr('PIPEVIDEO_TRANSPORT', 'auto') !== 'inprocess' && (await natsAnswers(natsUrl));
  // On a shared NATS server, embedded mode keeps to its own namespace (unless told otherwise), so it never
  // answers or consumes for a microservices deployment on the same server.
  const prefix = process.env.PIPEVIDEO_NATS_PREFIX ?? 'embedded';
  const messaging: MessagingConfig = useNats ? { kind: 'nats', url: natsUrl, prefix } : { kind: 'inprocess', wiring: createInProcessWiring() };
  const sandboxes = await startAllSandboxes({ basePort: o.sandboxPortBase, jobDurationMs: envInt('PIPEVIDEO_SANDBOX_JOB_MS', 1500) });
  const host = o.host ?? '127.0.0.1';
  const services: RunningService[] = [];
  const common = { messaging, databaseUrl: o.databaseUrl, host };
  // Human accounts and Stripe, local like the providers: a mail sandbox (SMTP + a mailbox to read), an
  // OIDC issuer, and Stripe's API with a hosted checkout page — each unless the env names a real one.
  const publicUrl = (process.env.PIPEVIDEO_PUBLIC_URL || `http://localhost:${o.gatewayPort}`).replace(/\/+$/, '');
  const stopLocal: Array<() => Promise<void>> = [];
  let mail: RunningMailSandbox | undefined;
  let oidc: RunningOidcSandbox | undefined;
  let stripe: StripeStandIn | undefined;
  let stripeUrl: string | undefined;
  const stripeWebhookSecret = `whsec_sandbox_${randomBytes(16).toString('hex')}`;
  try {
    if (!process.env.PIPEVIDEO_SMTP_URL) {
      mail = await startMailSandbox({ host, smtpPort: o.sandboxPortBase + 4, httpPort: o.sandboxPortBase + 5 });
      stopLocal.push(() => mail!.close());
    }
    if (!process.env.PIPEVIDEO_OIDC_ISSUER) {
      oidc = await startOidcSandbox({ host, port: o.sandboxPortBase + 6, redirectUris: [`${publicUrl}/auth/oidc/callback`] });
      stopLocal.push(() => oidc!.close());
    }
    if (!process.env.STRIPE_SECRET_KEY) {
      stripe = new StripeStandIn({ host, port: o.sandboxPortBase + 7, hosted: { webhookUrl: `http://127.0.0.1:${o.gatewayPort}/v1/billing/stripe/webhook`, webhookSecret: stripeWebhookSecret } });
      stripeUrl = await stripe.start();
      stopLocal.push(() => stripe!.stop());
    }
    services.push(
      await startBillingService({
        ...common,
        port: o.internalPortBase,
        ...(stripeUrl
          ? { stripe: { secretKey: 'sk_test_sandbox', webhookSecret: stripeWebhookSecret, apiBase: stripeUrl, successUrl: `${publicUrl}/billing?checkout=success`, cancelUrl: `${publicUrl}/billing?checkout=cancelled` } }
          : {}),
      }),
    );
    services.push(await startRouterService({ ...common, port: o.internalPortBase + 1 }));
    const providersPort = o.internalPortBase + 2;
    services.push(
      await startProvidersService({
        ...common,
        port: providersPort,
        publicUrl: `http://127.0.0.1:${providersPort}`,
        allowPrivateUrls: true,
        providers: {
          fal: { baseUrl: sandboxes.fal.url, apiKey: sandboxes.fal.apiKey, jwksUrl: sandboxes.fal.jwksUrl, userId: sandboxes.fal.userId },
          replicate: { baseUrl: `${sandboxes.replicate.url}/v1`, apiKey: sandboxes.replicate.apiKey, webhookSecret: sandboxes.replicate.webhookSecret },
          'vercel-gateway': { baseUrl: `${sandboxes.vercelGateway.url}/v3/ai`, apiKey: sandboxes.vercelGateway.apiKey },
          framerate: { baseUrl: sandboxes.framerate.url, apiKey: sandboxes.framerate.apiKey },
        },
      }),
    );
    // Customer webhooks to localhost are the point of a local sandbox; production keeps the SSRF guard.
    services.push(await startWebhooksService({ ...common, port: o.internalPortBase + 3, allowPrivate: true, allowHttp: true }));
    const gateway = await startGatewayService({
      ...common,
      port: o.gatewayPort,
      adminToken: o.adminToken,
      dashboardDir: dashboardDir(),
      accounts: {
        publicUrl,
        ...(mail ? { smtpUrl: mail.smtpUrl } : {}),
        ...(oidc ? { oidc: { issuer: oidc.issuer, clientId: oidc.clientId, clientSecret: oidc.clientSecret, displayName: 'Local OIDC sandbox' } } : {}),
      },
    });
    services.push(gateway);
    logger.info({ transport: messaging.kind }, 'embedded platform started');
    return {
      baseUrl: `http://localhost:${o.gatewayPort}`,
      transport: messaging.kind,
      services,
      sandboxes,
      mail,
      oidc,
      stripeUrl,
      gateway,
      async close() {
        for (const s of [...services].reverse()) await s.close().catch((err) => logger.warn({ err: String(err), service: s.name }, 'close failed'));
        if (messaging.kind === 'inprocess') await messaging.wiring.events.close();
        await sandboxes.close();
        for (const stop of stopLocal) await stop().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const s of services.reverse()) await s.close().catch(() => undefined);
    await sandboxes.close();
    for (const stop of stopLocal) await stop().catch(() => undefined);
    throw err;
  }
}
