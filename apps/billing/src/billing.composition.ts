import type { DataSource } from 'typeorm';
import type { Registry } from 'prom-client';
import { Ledger, LedgerOptions } from './ledger/ledger';
import { BillingMetrics } from './billing.metrics';
import { BillingEventConsumer } from './settlement/event-consumer';
import { GenerationSettlement } from './settlement/generation-settlement';
import { StripeBilling } from './stripe/stripe-billing';
import type { StripeSettings } from './stripe/stripe-config';
import { UsageBook } from './usage/usage-book';
import { TopupHistory } from './usage/topup-history';

/** Everything billing does, wired from its DataSource; the Nest layer only calls into this. */
export interface BillingComposition {
  ledger: Ledger;
  usage: UsageBook;
  topups: TopupHistory;
  stripe: StripeBilling;
  settlement: GenerationSettlement;
  metrics: BillingMetrics;
  events: BillingEventConsumer;
}

export function composeBilling(
  ds: DataSource,
  stripe: StripeSettings,
  registry: Registry,
  ledgerOptions: LedgerOptions = {},
  inboxConsumer = 'billing',
): BillingComposition {
  const ledger = new Ledger(ds, ledgerOptions);
  const usage = new UsageBook(ds);
  const metrics = new BillingMetrics(registry);
  const settlement = new GenerationSettlement(ds, ledger, usage);
  return {
    ledger,
    usage,
    topups: new TopupHistory(ds),
    metrics,
    settlement,
    stripe: new StripeBilling(stripe, ds, ledger),
    events: new BillingEventConsumer(ds, settlement, metrics, inboxConsumer),
  };
}
