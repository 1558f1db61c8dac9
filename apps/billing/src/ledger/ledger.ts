import type { DataSource } from 'typeorm';
import type { BalanceView, KeyLimitReset } from '@pipevideo/contracts';
import type { Db } from '@pipevideo/platform';
import { CreditBook, RefundResult, TopupInput, TopupResult } from './credits';
import { HoldBook, HoldBookOptions, PlaceHoldInput, PlaceHoldResult, ReleaseResult, SettleResult, TokenChargeInput, TokenChargeResult } from './holds';
import { PostingBook } from './posting';
import { GenerationCharges, LedgerCheck, LedgerQueries, Receivables } from './queries';
import { TopupReconciliation, TopupReversalResult } from './stripe-reconciliation';

export * from './credits';
export * from './holds';
export * from './queries';
export * from './stripe-reconciliation';

export type LedgerOptions = HoldBookOptions;

/**
 * The double-entry ledger: one object for the billing service, each concern in its own file —
 * postings (`posting.ts`: locks, idempotency, balanced transactions), holds and their settlement
 * (`holds.ts`), credits (`credits.ts`: top-ups, refunds), top-up reconciliation with Stripe
 * (`stripe-reconciliation.ts`) and reads (`queries.ts`). Framework-free: give it the service's
 * DataSource. Each operation runs in its own DB transaction, or in the caller's when passed a
 * transaction's EntityManager (event consumers commit their inbox row with it). Every operation that
 * touches an org locks that org's balance row first (a single lock order: no deadlocks), then checks
 * its idempotency key, then posts one balanced transaction and updates the cached balance.
 */
export class Ledger {
  readonly queries: LedgerQueries;
  private readonly holds: HoldBook;
  private readonly credits: CreditBook;
  private readonly reconciliation: TopupReconciliation;

  constructor(ds: DataSource, opts: LedgerOptions = {}) {
    const book = new PostingBook();
    this.queries = new LedgerQueries(ds);
    this.holds = new HoldBook(ds, book, opts);
    this.credits = new CreditBook(ds, book, this.queries);
    this.reconciliation = new TopupReconciliation(ds, book);
  }

  /** Hold batches sent to PostgreSQL and holds in them (for the benchmark and metrics). */
  get holdBatchStats(): { batches: number; items: number } {
    return this.holds.holdBatchStats;
  }

  // ---- reads (queries.ts)
  balance(orgId: string, db?: Db): Promise<BalanceView> {
    return this.queries.balance(orgId, db);
  }
  receivables(db?: Db): Promise<Receivables> {
    return this.queries.receivables(db);
  }
  openHolds(db?: Db): Promise<number> {
    return this.queries.openHolds(db);
  }
  imbalanceCents(db?: Db): Promise<number> {
    return this.queries.imbalanceCents(db);
  }
  check(db?: Db): Promise<LedgerCheck> {
    return this.queries.check(db);
  }
  generationCharges(generationId: string, db?: Db): Promise<GenerationCharges> {
    return this.queries.generationCharges(generationId, db);
  }
  hasTokenCharge(generationId: string, db?: Db): Promise<boolean> {
    return this.queries.hasTokenCharge(generationId, db);
  }
  holdStatus(holdId: string, db?: Db): ReturnType<LedgerQueries['holdStatus']> {
    return this.queries.holdStatus(holdId, db);
  }
  keySpend(orgId: string, keys: Array<{ keyId: string; reset: KeyLimitReset }>, db?: Db): ReturnType<LedgerQueries['keySpend']> {
    return this.queries.keySpend(orgId, keys, db);
  }

  // ---- credits (credits.ts)
  topup(i: TopupInput, db?: Db): Promise<TopupResult> {
    return this.credits.topup(i, db);
  }
  refundGeneration(i: { generationId: string; reason?: string }, db?: Db): Promise<RefundResult> {
    return this.credits.refundGeneration(i, db);
  }

  // ---- top-up reconciliation with Stripe (stripe-reconciliation.ts)
  reverseTopup(i: Parameters<TopupReconciliation['reverseTopup']>[0], db?: Db): Promise<TopupReversalResult> {
    return this.reconciliation.reverseTopup(i, db);
  }
  refundedForCharge(chargeId: string, db?: Db): Promise<number> {
    return this.reconciliation.refundedForCharge(chargeId, db);
  }
  topupByPaymentIntent(paymentIntent: string, db?: Db): Promise<{ orgId: string; amountCents: number } | null> {
    return this.reconciliation.topupByPaymentIntent(paymentIntent, db);
  }

  // ---- holds and their settlement (holds.ts)
  placeHold(i: PlaceHoldInput, db?: Db): Promise<PlaceHoldResult> {
    return this.holds.placeHold(i, db);
  }
  /** Several holds queued at once (they share `place_holds` calls); one answer per hold, in order. */
  placeHolds(items: PlaceHoldInput[]): Array<Promise<PlaceHoldResult>> {
    return this.holds.placeHolds(items);
  }
  capture(i: Parameters<HoldBook['capture']>[0], db?: Db): Promise<SettleResult> {
    return this.holds.capture(i, db);
  }
  release(i: Parameters<HoldBook['release']>[0], db?: Db): Promise<ReleaseResult> {
    return this.holds.release(i, db);
  }
  chargeTokens(i: TokenChargeInput, db?: Db): Promise<TokenChargeResult> {
    return this.holds.chargeTokens(i, db);
  }
}
