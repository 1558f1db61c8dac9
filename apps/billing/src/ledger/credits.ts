import type { DataSource } from 'typeorm';
import { BalanceView } from '@pipevideo/contracts';
import { type Db, inTransaction, num, one } from '@pipevideo/platform';
import { balanceView, PLATFORM_ACCOUNTS, TopupSource } from './accounts';
import { Move, moves } from './moves';
import { assertPositiveCents, conflict, creditEntries, PostingBook } from './posting';
import type { LedgerQueries } from './queries';
import { planCredit } from './settlement-policy';

export interface TopupInput {
  orgId: string;
  amountCents: number;
  source: TopupSource;
  /** Full ledger idempotency key (callers prefix it: `topup:<org>:<key>`, `stripe:session:<id>`). */
  key: string;
  note?: string;
  metadata?: Record<string, unknown>;
}
export interface TopupResult {
  transactionId: string;
  duplicate: boolean;
  /** Part of the top-up that settled what the org owed (the rest became available). */
  repaidCents: number;
  balance: BalanceView;
  moves: Move[];
}

export interface RefundResult {
  generationId: string;
  refundedCents: number;
  duplicate: boolean;
  moves: Move[];
}

/**
 * Money given to an org: top-ups (operator, Stripe, sandbox), and the refund of what a failed
 * generation was charged. Either pays what the org owes first; only the rest becomes available.
 */
export class CreditBook {
  constructor(
    private readonly ds: DataSource,
    private readonly book: PostingBook,
    private readonly queries: LedgerQueries,
  ) {}

  /**
   * Credits the org from a top-up source, once per key. Whatever the source, the top-up pays what the
   * org owes first; only the rest becomes available.
   */
  async topup(i: TopupInput, db: Db = this.ds): Promise<TopupResult> {
    assertPositiveCents('amountCents', i.amountCents);
    return inTransaction(db, async (m) => {
      const org = await this.book.lockOrg(m, i.orgId);
      const existing = await this.book.findTransaction(m, i.key);
      if (existing) {
        if (existing.org_id !== i.orgId || num(existing.amount_cents) !== i.amountCents) {
          throw conflict(`idempotency key already used for a different top-up (${num(existing.amount_cents)} cents)`);
        }
        return { transactionId: String(existing.id), duplicate: true, repaidCents: 0, balance: balanceView(org), moves: [] };
      }
      const platform = await this.book.platformAccounts(m);
      const credit = planCredit({ amountCents: i.amountCents, owedCents: org.owedCents });
      const id = await this.book.post(m, org, {
        key: i.key,
        kind: 'topup',
        orgId: i.orgId,
        amountCents: i.amountCents,
        metadata: { source: i.source, ...(i.note ? { note: i.note } : {}), ...(credit.repaidCents ? { repaidCents: credit.repaidCents } : {}), ...(i.metadata ?? {}) },
        entries: [
          { accountId: platform[PLATFORM_ACCOUNTS.source(i.source)], amountCents: -i.amountCents },
          ...creditEntries(org, credit),
        ],
      });
      return {
        transactionId: id,
        duplicate: false,
        repaidCents: credit.repaidCents,
        balance: balanceView(org),
        moves: moves({ operation: 'topup', cents: i.amountCents }, { operation: 'owed_settled', cents: credit.repaidCents }),
      };
    });
  }

  /**
   * Gives back everything a generation was charged (captures and token charges, net of earlier
   * refunds): the revenue is reversed (and a write-off booked before orgs could owe), and the charge
   * goes back to the org whatever paid for it — hold, available or owed — settling what the org owes
   * first, the rest to the available balance. Idempotent by generation id; for a generation that was
   * never charged only the refund is recorded (no money moves), so a token charge arriving later is
   * refused.
   */
  async refundGeneration(i: { generationId: string; reason?: string }, db: Db = this.ds): Promise<RefundResult> {
    return inTransaction(db, async (m) => {
      const t = await one<{ org_id: string }>(
        m,
        `SELECT org_id FROM ledger_transactions WHERE generation_id = $1 AND org_id IS NOT NULL ORDER BY id LIMIT 1`,
        [i.generationId],
      );
      const none = { generationId: i.generationId, refundedCents: 0, moves: [] as Move[] };
      if (!t) return { ...none, duplicate: false };
      const org = await this.book.lockOrg(m, t.org_id);
      const key = `refund:${i.generationId}`;
      if (await this.book.findTransaction(m, key)) return { ...none, duplicate: true };
      const c = await this.queries.generationCharges(i.generationId, m);
      if (c.revenueCents === 0 && c.writeoffCents === 0) {
        // Nothing to give back, but the refund is recorded (no entries): a token charge whose call timed
        // out at the router and reaches us only now must not stick to a generation that failed.
        await this.book.post(m, org, { key, kind: 'refund', orgId: org.orgId, generationId: i.generationId, amountCents: 0, metadata: { reason: i.reason ?? 'generation failed', nothingCharged: true }, entries: [] });
        return { ...none, duplicate: false };
      }
      const platform = await this.book.platformAccounts(m);
      const credit = planCredit({ amountCents: c.chargedCents, owedCents: org.owedCents });
      await this.book.post(m, org, {
        key,
        kind: 'refund',
        orgId: org.orgId,
        generationId: i.generationId,
        amountCents: c.chargedCents,
        metadata: { reason: i.reason ?? 'generation failed', revenueCents: c.revenueCents, writeoffCents: c.writeoffCents, repaidCents: credit.repaidCents },
        entries: [
          { accountId: platform[PLATFORM_ACCOUNTS.revenue], amountCents: -c.revenueCents },
          { accountId: platform[PLATFORM_ACCOUNTS.writeoff], amountCents: -c.writeoffCents },
          ...creditEntries(org, credit),
        ],
      });
      // What was charged against the generation's holds is given back: the key that made it no longer
      // counts it against its spend limit (place_holds, keySpend).
      await m.query(`UPDATE holds SET refunded_cents = charged_cents WHERE generation_id = $1 AND charged_cents > refunded_cents`, [i.generationId]);
      return {
        generationId: i.generationId,
        refundedCents: c.chargedCents,
        duplicate: false,
        moves: moves({ operation: 'refund', cents: c.chargedCents }, { operation: 'owed_settled', cents: credit.repaidCents }),
      };
    });
  }
}
