import type { DataSource } from 'typeorm';
import { BalanceView } from '@pipevideo/contracts';
import { type Db, inTransaction, num, one } from '@pipevideo/platform';
import { balanceView, PLATFORM_ACCOUNTS, TopupSource } from './accounts';
import { Move, moves } from './moves';
import { assertPositiveCents, creditEntries, debitEntries, PostingBook } from './posting';
import { planCredit, planDebit } from './settlement-policy';

export interface TopupReversalResult {
  transactionId: string | null;
  duplicate: boolean;
  /** Taken from the available balance (a reversal), or given back (a reinstatement). */
  takenCents: number;
  /** What the org could not give back (spent, or held by running jobs) and now owes. */
  owedCents: number;
  balance: BalanceView;
  moves: Move[];
}

/**
 * Top-up reconciliation with the source that paid it (Stripe): money a source took back (a refund or
 * a dispute), the reinstatement of a dispute won, and the ledger look-ups by Stripe ids (the top-up a
 * payment intent paid, what a charge's refunds already took back). The Stripe webhook handling itself
 * (signatures, event log, pending reversals) stays in `../stripe`.
 */
export class TopupReconciliation {
  constructor(
    private readonly ds: DataSource,
    private readonly book: PostingBook,
  ) {}

  /**
   * Money a top-up source took back (a Stripe refund or dispute): `amountCents` leaves the org's
   * available credits as far as they go; what the org has already spent (or holds for running jobs)
   * becomes owed. Idempotent by key. `reinstates` gives back exactly what an earlier reversal took
   * (a dispute won): it settles what the org owes first, the rest becomes available.
   */
  async reverseTopup(
    i: {
      orgId: string;
      amountCents: number;
      source: TopupSource;
      key: string;
      metadata?: Record<string, unknown>;
      reinstates?: string;
      /** amountCents is the running total refunded on this Stripe charge: take only what earlier refunds of it did not. */
      refundOfCharge?: string;
    },
    db: Db = this.ds,
  ): Promise<TopupReversalResult> {
    assertPositiveCents('amountCents', i.amountCents);
    return inTransaction(db, async (m) => {
      const org = await this.book.lockOrg(m, i.orgId);
      const existing = await this.book.findTransaction(m, i.key);
      const nothing = { transactionId: null, duplicate: false, takenCents: 0, owedCents: 0, balance: balanceView(org), moves: [] };
      if (existing) return { ...nothing, transactionId: String(existing.id), duplicate: true };
      // Under the org's lock, so two refund events of one charge cannot both count the same cents.
      const amount = i.refundOfCharge ? i.amountCents - (await this.refundedForCharge(i.refundOfCharge, m)) : i.amountCents;
      if (amount <= 0) return nothing;
      const platform = await this.book.platformAccounts(m);
      const source = platform[PLATFORM_ACCOUNTS.source(i.source)];
      const meta = { source: i.source, ...(i.reinstates ? { reinstates: i.reinstates } : {}), ...(i.metadata ?? {}) };
      if (i.reinstates) {
        const undone = await this.book.findTransaction(m, i.reinstates);
        if (!undone || num(undone.amount_cents) !== amount) return nothing;
        // A reversal posted before orgs could owe wrote its uncovered part off: that part goes back
        // to the write-off account, the rest to the org.
        const writtenOff = num((undone.metadata as { writtenOffCents?: number } | null)?.writtenOffCents);
        const credit = planCredit({ amountCents: amount - writtenOff, owedCents: org.owedCents });
        const id = await this.book.post(m, org, {
          key: i.key,
          kind: 'correction',
          orgId: i.orgId,
          amountCents: amount,
          metadata: { ...meta, givenBackCents: amount - writtenOff, repaidCents: credit.repaidCents, ...(writtenOff ? { writtenOffCents: writtenOff } : {}) },
          entries: [
            { accountId: source, amountCents: -amount },
            { accountId: platform[PLATFORM_ACCOUNTS.writeoff], amountCents: writtenOff },
            ...creditEntries(org, credit),
          ],
        });
        return {
          transactionId: id,
          duplicate: false,
          takenCents: amount - writtenOff,
          owedCents: 0,
          balance: balanceView(org),
          moves: moves({ operation: 'topup', cents: amount - writtenOff }, { operation: 'owed_settled', cents: credit.repaidCents }),
        };
      }
      const debit = planDebit({ amountCents: amount, availableCents: org.availableCents });
      const id = await this.book.post(m, org, {
        key: i.key,
        kind: 'correction',
        orgId: i.orgId,
        amountCents: amount,
        metadata: { ...meta, takenCents: debit.fromAvailableCents, owedCents: debit.owedCents },
        entries: [{ accountId: source, amountCents: amount }, ...debitEntries(org, debit)],
      });
      return {
        transactionId: id,
        duplicate: false,
        takenCents: debit.fromAvailableCents,
        owedCents: debit.owedCents,
        balance: balanceView(org),
        moves: moves({ operation: 'topup_reversal', cents: debit.fromAvailableCents }, { operation: 'owed', cents: debit.owedCents }),
      };
    });
  }

  /** Cents already taken back by the refunds of one Stripe charge (indexed: runs under the org's lock). */
  async refundedForCharge(chargeId: string, db: Db = this.ds): Promise<number> {
    const r = await one<{ s: string | null }>(
      db,
      `SELECT sum(amount_cents) AS s FROM ledger_transactions WHERE kind = 'correction' AND metadata->>'stripeRefundCharge' = $1`,
      [chargeId],
    );
    return num(r?.s);
  }

  /** The org and amount of the top-up a Stripe payment intent paid for (indexed). */
  async topupByPaymentIntent(paymentIntent: string, db: Db = this.ds): Promise<{ orgId: string; amountCents: number } | null> {
    const r = await one<{ org_id: string; amount_cents: string }>(
      db,
      `SELECT org_id, amount_cents FROM ledger_transactions WHERE kind = 'topup' AND metadata->>'paymentIntent' = $1 ORDER BY id LIMIT 1`,
      [paymentIntent],
    );
    return r ? { orgId: r.org_id, amountCents: num(r.amount_cents) } : null;
  }
}
