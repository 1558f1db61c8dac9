import type { EntityManager } from 'typeorm';
import { DomainError, ErrorCode } from '@pipevideo/contracts';
import { type Db, num, one, rows } from '@pipevideo/platform';
import { OrgAccounts } from './accounts';
import { CreditPlan, DebitPlan } from './settlement-policy';

/**
 * Postings: the one way money moves. A posting is one balanced ledger transaction, inserted with its
 * entries while the org's balance row is locked, with the org's cached balances moved by the same
 * entries. The holds, credits and top-up reversals build their postings here; nothing else writes the
 * ledger tables.
 */

export type TxKind = 'topup' | 'hold' | 'capture' | 'release' | 'token_charge' | 'refund' | 'correction' | 'byok_fee';

export interface Posting {
  key: string;
  kind: TxKind;
  orgId: string | null;
  generationId?: string | null;
  holdId?: string | null;
  amountCents: number;
  metadata?: Record<string, unknown>;
  entries: Array<{ accountId: string; amountCents: number }>;
}

export interface HoldRow {
  hold_id: string;
  org_id: string;
  generation_id: string | null;
  amount_cents: string;
  status: 'open' | 'captured' | 'released';
  placed: boolean;
  charged_cents: string;
  released_cents: string;
  written_off_cents: string;
}

export const conflict = (m: string) => new DomainError(ErrorCode.CONFLICT, m);

/** Locks, idempotency look-ups and the posting itself, shared by every operation that moves money. */
export class PostingBook {
  private platform?: Promise<Record<string, string>>;

  /** Inserts one ledger transaction and its entries, and moves the org's cached balances with it. */
  async post(m: EntityManager, org: OrgAccounts | null, p: Posting): Promise<string> {
    const entries = p.entries.filter((e) => e.amountCents !== 0);
    const sum = entries.reduce((s, e) => s + e.amountCents, 0);
    if (sum !== 0) throw new Error(`refusing to post unbalanced ledger transaction ${p.key} (sum ${sum})`);
    const tx = await one<{ id: string }>(
      m,
      `INSERT INTO ledger_transactions (idempotency_key, kind, org_id, generation_id, hold_id, amount_cents, metadata)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [p.key, p.kind, p.orgId, p.generationId ?? null, p.holdId ?? null, p.amountCents, p.metadata ? JSON.stringify(p.metadata) : null],
    );
    const id = String(tx!.id);
    if (entries.length) {
      await rows(
        m,
        `INSERT INTO ledger_entries (transaction_id, account_id, amount_cents) SELECT $1, unnest($2::bigint[]), unnest($3::bigint[])`,
        [id, entries.map((e) => e.accountId), entries.map((e) => e.amountCents)],
      );
    }
    if (org) {
      const delta = (accountId: string) => entries.filter((e) => e.accountId === accountId).reduce((s, e) => s + e.amountCents, 0);
      const dAvail = delta(org.availableAccountId);
      const dHeld = delta(org.heldAccountId);
      // The receivable account's balance is minus what the org owes.
      const dOwed = -delta(org.owedAccountId);
      if (dAvail !== 0 || dHeld !== 0 || dOwed !== 0) {
        const r = await one(
          m,
          `UPDATE org_balances SET available_cents = available_cents + $2, held_cents = held_cents + $3, owed_cents = owed_cents + $4, updated_at = now()
           WHERE org_id = $1 RETURNING available_cents, held_cents, owed_cents`,
          [org.orgId, dAvail, dHeld, dOwed],
        );
        org.availableCents = num(r!.available_cents);
        org.heldCents = num(r!.held_cents);
        org.owedCents = num(r!.owed_cents);
      }
    }
    return id;
  }

  /** Locks the org's balance row (the first lock of every operation), creating the org on first use. */
  async lockOrg(m: EntityManager, orgId: string): Promise<OrgAccounts> {
    const select = `SELECT org_id, available_account_id, held_account_id, owed_account_id, available_cents, held_cents, owed_cents
                      FROM org_balances WHERE org_id = $1 FOR UPDATE`;
    let r = await one(m, select, [orgId]);
    if (!r) {
      await rows(m, `SELECT ensure_org($1)`, [orgId]);
      r = await one(m, select, [orgId]);
    }
    if (!r) throw new Error(`could not create balance row for org ${orgId}`);
    return {
      orgId,
      availableAccountId: String(r.available_account_id),
      heldAccountId: String(r.held_account_id),
      owedAccountId: String(r.owed_account_id),
      availableCents: num(r.available_cents),
      heldCents: num(r.held_cents),
      owedCents: num(r.owed_cents),
    };
  }

  async lockHold(m: EntityManager, holdId: string): Promise<(HoldRow & { settled_by: string | null }) | null> {
    return (await one(m, `SELECT * FROM holds WHERE hold_id = $1 FOR UPDATE`, [holdId])) ?? null;
  }

  /** The org a hold belongs to (read before taking the org lock, to keep the lock order). */
  async orgOfHold(m: EntityManager, holdId: string, fallbackOrgId?: string): Promise<string> {
    const peek = await one<{ org_id: string }>(m, `SELECT org_id FROM holds WHERE hold_id = $1`, [holdId]);
    const orgId = peek?.org_id ?? fallbackOrgId;
    if (!orgId) throw new DomainError(ErrorCode.NOT_FOUND, `hold ${holdId} not found`);
    return orgId;
  }

  /** The ledger transaction posted under an idempotency key, if any. */
  async findTransaction(m: EntityManager, key: string) {
    return one<{ id: string; org_id: string | null; amount_cents: string; generation_id: string | null; metadata: any }>(
      m,
      `SELECT id, org_id, amount_cents, generation_id, metadata FROM ledger_transactions WHERE idempotency_key = $1`,
      [key],
    );
  }

  /** Ids of the platform accounts (revenue, write-off, top-up sources) by code. */
  platformAccounts(db: Db): Promise<Record<string, string>> {
    // Seeded by the migration and never changed, so loading them once is safe.
    this.platform ??= rows<{ id: string; code: string }>(db, `SELECT id, code FROM accounts WHERE org_id IS NULL`).then((rs) =>
      Object.fromEntries(rs.map((r) => [r.code, String(r.id)])),
    );
    this.platform.catch(() => (this.platform = undefined));
    return this.platform;
  }
}

/** Entries of money given to the org: the receivable account up by what is repaid, available by the rest. */
export function creditEntries(org: OrgAccounts, c: CreditPlan): Posting['entries'] {
  return [
    { accountId: org.owedAccountId, amountCents: c.repaidCents },
    { accountId: org.availableAccountId, amountCents: c.toAvailableCents },
  ];
}

/** Entries of money taken from the org: available down by what it covers, the receivable by the rest. */
export function debitEntries(org: OrgAccounts, d: DebitPlan): Posting['entries'] {
  return [
    { accountId: org.availableAccountId, amountCents: -d.fromAvailableCents },
    { accountId: org.owedAccountId, amountCents: -d.owedCents },
  ];
}

export function assertCents(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new DomainError(ErrorCode.BAD_REQUEST, `${name} must be a non-negative integer number of cents`);
}
export function assertPositiveCents(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v <= 0) throw new DomainError(ErrorCode.BAD_REQUEST, `${name} must be a positive integer number of cents`);
}
