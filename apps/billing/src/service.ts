import type { MessagingConfig, RunningService } from '@pipevideo/platform';
import { envInt, logger, startService } from '@pipevideo/platform';
import { BillingComposition, composeBilling } from './billing.composition';
import { CreateLedger1710000000000 } from './db/migrations/1710000000000-create-ledger';
import { StripeReversalIndexes1710000000100 } from './db/migrations/1710000000100-stripe-reversal-indexes';
import { OrgReceivables1710000000200 } from './db/migrations/1710000000200-org-receivables';
import { KeySpendLimits1710000000300 } from './db/migrations/1710000000300-key-spend-limits';
import { LedgerAppendOnlyGrants1710000000400 } from './db/migrations/1710000000400-ledger-append-only-grants';
import { ByokFee1780000000200 } from './db/migrations/1780000000200-byok-fee';
import { KeySpendRefunds1800000000200 } from './db/migrations/1800000000200-key-spend-refunds';
import { TopupHistoryIndex1750000000100 } from './db/migrations/1750000000100-topup-history-index';
import { BillingModule } from './billing.module';
import { StripeSettings, stripeSettingsFromEnv } from './stripe/stripe-config';

export const BILLING_MIGRATIONS = [
  CreateLedger1710000000000, StripeReversalIndexes1710000000100, OrgReceivables1710000000200, KeySpendLimits1710000000300, LedgerAppendOnlyGrants1710000000400,
  TopupHistoryIndex1750000000100, ByokFee1780000000200, KeySpendRefunds1800000000200,
];

export interface BillingServiceOptions {
  messaging: MessagingConfig;
  databaseUrl: string;
  port: number;
  host?: string;
  /** PostgreSQL pool size (default BILLING_DB_POOL_SIZE or 10). */
  poolSize?: number;
  /** Stripe settings; defaults from STRIPE_* / PIPEVIDEO_CHECKOUT_* env vars, overridden field by field. */
  stripe?: Partial<StripeSettings>;
  /**
   * Durable consumer name for hold.release_requested and generation.finished (default "billing");
   * false to not consume events (tools such as the benchmark).
   */
  eventConsumer?: string | false;
  /** Hold coalescing (see Ledger): defaults BILLING_HOLD_BATCH_SIZE or 64, BILLING_HOLD_BATCHES_IN_FLIGHT or 2. */
  holdBatchSize?: number;
  holdBatchesInFlight?: number;
}

export interface RunningBillingService extends RunningService {
  domain: BillingComposition;
}

/** Starts the billing service: schema `billing`, its NATS API, event consumers and metrics. */
export async function startBillingService(opts: BillingServiceOptions): Promise<RunningBillingService> {
  const stripe: StripeSettings = { ...stripeSettingsFromEnv(), ...stripeOverrides(opts.stripe) };
  let domain: BillingComposition | undefined;
  const svc = await startService({
    name: 'billing',
    port: opts.port,
    host: opts.host,
    messaging: opts.messaging,
    db: { url: opts.databaseUrl, migrations: BILLING_MIGRATIONS, poolSize: opts.poolSize ?? envInt('BILLING_DB_POOL_SIZE', 10) },
    module: (ctx) => {
      domain = composeBilling(ctx.ds, stripe, ctx.metrics.registry, {
        holdBatchSize: opts.holdBatchSize ?? envInt('BILLING_HOLD_BATCH_SIZE', 64),
        holdBatchesInFlight: opts.holdBatchesInFlight ?? envInt('BILLING_HOLD_BATCHES_IN_FLIGHT', 2),
      });
      ctx.metrics.collectors.push(domain.metrics.collector(domain.ledger));
      const d = domain;
      return BillingModule.forRoot(d);
    },
    afterStart: async (_app, ctx) => {
      if (opts.eventConsumer === false) return;
      await domain!.events.start(ctx.messaging.events, opts.eventConsumer ?? 'billing');
      logger.info({ consumer: opts.eventConsumer ?? 'billing' }, 'billing consuming hold.release_requested and generation.finished');
    },
  });
  return Object.assign(svc, { domain: domain! });
}

function stripeOverrides(s?: Partial<StripeSettings>): Partial<StripeSettings> {
  // Only the fields the caller actually set override the environment.
  return Object.fromEntries(Object.entries(s ?? {}).filter(([, v]) => v !== undefined));
}
