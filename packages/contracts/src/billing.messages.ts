/**
 * Messages of the billing service's NATS API (request/reply payloads and replies) beyond the ones
 * that live in messages.ts (`OrgMsg`, `PlaceHoldMsg`, `TopupMsg`, `TokenChargeMsg`, `UsageListMsg`,
 * `BalanceView`). Amounts are integer cents everywhere; ledger transaction ids are strings (bigint).
 */
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { KEY_LIMIT_RESETS, type KeyLimitReset } from './key-limits';
import type { RpcErrorBody } from './errors';
import { BalanceView, Envelope, PlaceHoldMsg, TokenChargeMsg } from './messages';
import type { ApiKind } from './enums';

/** Every `billing.hold.place` refusal for lack of funds has a message starting with this. */
export const INSUFFICIENT_BALANCE_MESSAGE_PREFIX = 'Insufficient balance';

/** The refusal of an org that owes (`BalanceView.owed_cents` > 0): nothing is created until a top-up settles it. */
export function owedRefusalMessage(owedCents: number): string {
  return `${INSUFFICIENT_BALANCE_MESSAGE_PREFIX}: your organization owes ${owedCents} cents; a top-up settles it first`;
}

/**
 * `billing.hold.place` reply: a business outcome, never an error code. Placing the same holdId again
 * returns the same `placed` reply. A refusal says why, with what the caller needs to tell the customer:
 * - `insufficient`: the available balance (or a debt) does not cover the amount;
 * - `key_limit`: the API key's spend limit does not (spent so far in its window, and when it resets).
 * Anything else (a conflicting or already settled hold id, a database fault) is an error.
 */
export type PlaceHoldReply =
  | { outcome: 'placed'; holdId: string; amountCents: number; balance: BalanceView }
  | { outcome: 'insufficient'; message: string; availableCents: number; owedCents: number; balance: BalanceView }
  | { outcome: 'key_limit'; message: string; keyLimit: { limitCents: number; spentCents: number; resetsAt: string | null } };

/** The most holds one `billing.hold.placeMany` request may carry. */
export const MAX_HOLDS_PER_REQUEST = 256;

/**
 * `billing.hold.placeMany`: several holds in one request (the router's hold batcher sends the holds of
 * many creates together, sparing billing the per-message cost). Each item is a `billing.hold.place`
 * request, with the correlation id of the create it belongs to, and is placed exactly as that subject
 * places it: idempotent on its holdId, answered on its own.
 */
export class PlaceHoldsMsg extends Envelope {
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(MAX_HOLDS_PER_REQUEST) @ValidateNested({ each: true }) @Type(() => PlaceHoldMsg) holds!: PlaceHoldMsg[];
}

/**
 * `billing.hold.release`: `released` true only when this request released an open hold; false when the
 * release had been applied before (its event came first, or a retry) or the hold was not open.
 */
export interface ReleaseHoldReply {
  released: boolean;
}

/**
 * One hold of a `billing.hold.placeMany`: the reply `billing.hold.place` would give it, or the error it
 * would throw (a conflicting or settled holdId, a fault), as `outcome: 'error'` for that hold only.
 */
export type PlaceHoldsItem = PlaceHoldReply | ({ outcome: 'error' } & RpcErrorBody);

/** `billing.hold.placeMany` reply: one answer per hold, in the order of the request. */
export interface PlaceHoldsReply {
  results: PlaceHoldsItem[];
}

/** `billing.topup.create` reply; `duplicate` when the idempotency key had already been used. */
export interface TopupReply {
  transactionId: string;
  duplicate: boolean;
  balance: BalanceView;
}

/**
 * `billing.tokens.charge`: charge the orchestration model's tokens of a Responses job, capturing
 * the job's hold (`holdId`) at `amountCents`. Idempotent by `responseId`. Without `holdId` the charge
 * is taken from the available balance directly (same shortfall policy as a capture).
 */
export class TokenChargeWithHoldMsg extends TokenChargeMsg {
  @IsOptional() @IsString() @IsNotEmpty() holdId?: string;
  /** The generation the charge belongs to (for refunds and usage); defaults to the hold's, else `responseId`. */
  @IsOptional() @IsString() @IsNotEmpty() generationId?: string;
}

export interface TokenChargeReply {
  responseId: string;
  holdId: string | null;
  /** Cents the org was charged: amountCents (from the hold, then its available balance, the rest owed: see `balance.owed_cents`). */
  chargedCents: number;
  /** Always 0 since orgs can owe (a shortfall is owed, not written off); kept for older charges and callers. */
  writtenOffCents: number;
  /** Unused part of the hold given back to the org (paying what it owes first, the rest available). */
  releasedCents: number;
  duplicate: boolean;
  balance: BalanceView;
}

/** One generation in `GET /v1/usage` (docs/api-style.md: snake_case, unix seconds, public provider names). */
export interface UsageItem {
  id: string;
  api: ApiKind;
  model: string | null;
  provider: string | null;
  status: string;
  cost_cents: number;
  input_tokens: number | null;
  output_tokens: number | null;
  app_title: string | null;
  /** The job ran on the org's own provider key (BYOK): `cost_cents` is the platform fee only. */
  byok: boolean;
  /** Unix seconds. */
  created_at: number;
  /** Unix seconds; null while the job runs. */
  completed_at: number | null;
}

export interface UsageListReply {
  object: 'list';
  balance: BalanceView;
  data: UsageItem[];
  has_more: boolean;
  /** Opaque keyset cursor for the next page, null on the last page. */
  next_cursor: string | null;
  /** Totals over the whole filtered range (all pages). */
  totals: {
    per_day: Array<{ day: string; count: number; cost_cents: number }>;
    per_model: Array<{ model: string; count: number; cost_cents: number }>;
  };
}

/** `billing.checkout.create`: a Stripe Checkout session that tops up `orgId` by `amountCents`. */
export class CheckoutCreateMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  /** Stripe's limits for USD: at least 50 cents, at most 99,999,999. */
  @IsInt() @Min(50) @Max(99_999_999) amountCents!: number;
  @IsOptional() @IsString() @MaxLength(2048) successUrl?: string;
  @IsOptional() @IsString() @MaxLength(2048) cancelUrl?: string;
}

export interface CheckoutSessionReply {
  id: string;
  url: string;
}

/** `billing.stripe.event`: a Stripe webhook as received (raw body + `Stripe-Signature` header). */
export class StripeEventMsg extends Envelope {
  @IsString() @IsNotEmpty() payload!: string;
  @IsString() @IsNotEmpty() signature!: string;
}

export interface StripeEventReply {
  received: true;
  eventId: string;
  type: string;
  /** True when this delivery credited the org (false for other event types and for redeliveries). */
  credited: boolean;
  /** True when this event id, or another event for the same Checkout session, was already credited. */
  duplicate: boolean;
  transactionId: string | null;
}

export class LedgerCheckMsg extends Envelope {}

export interface LedgerCheckReply {
  balanced: boolean;
  transactions_unbalanced: number;
  cached_mismatches: number;
}

export class KeySpendQuery {
  @IsString() @IsNotEmpty() @MaxLength(64) keyId!: string;
  @IsIn(KEY_LIMIT_RESETS) reset!: KeyLimitReset;
}

/** `billing.keys.spend`: what each key spent (captured) or holds (open holds) in its limit's current window. */
export class KeySpendMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  @IsArray() @ArrayMaxSize(1000) @ValidateNested({ each: true }) @Type(() => KeySpendQuery) keys!: KeySpendQuery[];
}

export interface KeySpendReply {
  data: Array<{ keyId: string; spentCents: number; windowStart: string; resetsAt: string | null }>;
}

/** `billing.topups.list`: an org's top-ups, newest first (the dashboard's billing history). */
export class TopupListMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  @IsOptional() @IsInt() @Min(1) limit?: number;
  @IsOptional() @IsString() cursor?: string;
}

/** One top-up as the public API lists it (GET /v1/billing/topups). */
export interface TopupView {
  id: string;
  object: 'topup';
  amount_cents: number;
  /** operator, stripe or sandbox */
  source: string;
  created_at: number;
}

export interface TopupListReply {
  object: 'list';
  data: TopupView[];
  has_more: boolean;
  next_cursor: string | null;
}
