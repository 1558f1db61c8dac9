import { Counter, Gauge, Registry } from 'prom-client';
import { MONEY_OPERATIONS, Move } from './ledger/moves';
import type { Ledger } from './ledger/ledger';

export const HOLD_FAILURE_REASONS = ['insufficient_balance', 'key_limit', 'conflict', 'already_settled', 'invalid_request', 'error'] as const;
export type HoldFailureMetricReason = (typeof HOLD_FAILURE_REASONS)[number];

/** Billing's own metric families, registered on the service's registry. Labels are bounded enums. */
export class BillingMetrics {
  readonly moneyMoved: Counter<'operation'>;
  readonly holdsOpen: Gauge;
  readonly holdsFailed: Counter<'reason'>;
  readonly ledgerImbalance: Gauge;
  readonly receivables: Gauge;
  readonly orgsOwing: Gauge;

  constructor(registry: Registry) {
    this.moneyMoved = new Counter({
      name: 'pipevideo_billing_money_moved_cents_total',
      help: 'Cents moved by the ledger, by operation (topup, topup_reversal, hold, capture, release, token_charge, refund, owed, owed_settled, writeoff)',
      labelNames: ['operation'],
      registers: [registry],
    });
    this.holdsOpen = new Gauge({ name: 'pipevideo_billing_holds_open', help: 'Holds placed and not yet captured or released', registers: [registry] });
    this.holdsFailed = new Counter({
      name: 'pipevideo_billing_holds_failed_total',
      help: 'Hold placements refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.ledgerImbalance = new Gauge({
      name: 'pipevideo_billing_ledger_imbalance_cents',
      help: 'Sum of all ledger entries; anything but 0 means the ledger is broken',
      registers: [registry],
    });
    this.receivables = new Gauge({
      name: 'pipevideo_billing_receivables_cents',
      help: 'What all orgs owe together (usage they could not cover, credits Stripe took back after they were spent); paid by their next top-ups',
      registers: [registry],
    });
    this.orgsOwing = new Gauge({ name: 'pipevideo_billing_orgs_owing', help: 'Orgs that owe something (their creates are refused until they top up)', registers: [registry] });
    // Present from the first scrape so rate() and alerts see a zero, not an absent series.
    for (const op of MONEY_OPERATIONS) this.moneyMoved.inc({ operation: op }, 0);
    for (const r of HOLD_FAILURE_REASONS) this.holdsFailed.inc({ reason: r }, 0);
  }

  record(moves: Move[]): void {
    for (const m of moves) if (m.cents > 0) this.moneyMoved.inc({ operation: m.operation }, m.cents);
  }

  holdFailed(reason: HoldFailureMetricReason): void {
    this.holdsFailed.inc({ reason });
  }

  /** Refreshes the gauges from the database (run before each scrape). */
  collector(ledger: Ledger): () => Promise<void> {
    return async () => {
      const [open, imbalance, owed] = await Promise.all([ledger.openHolds(), ledger.imbalanceCents(), ledger.receivables()]);
      this.holdsOpen.set(open);
      this.ledgerImbalance.set(imbalance);
      this.receivables.set(owed.owedCents);
      this.orgsOwing.set(owed.orgsOwing);
    };
  }
}
