/**
 * Payloads that cross NATS. Every payload carries `v` (schema version) and, for RPC, the caller's
 * correlation id. Receivers validate with class-validator (see validate.ts).
 */
import { Type } from 'class-transformer';
import {
  IsBoolean, IsIn, IsInt, IsNotEmpty, IsNumber, IsObject, IsOptional, IsString, MaxLength, Min, ValidateNested,
} from 'class-validator';
import { DomainError, ErrorCode } from './errors';
import type { ApiKind, ProviderErrorKind, ProviderSlug } from './enums';
import { KEY_LIMIT_RESETS, type KeyLimit, type KeyLimitReset } from './key-limits';

export class Envelope {
  @IsInt() v!: number;
  @IsOptional() @IsString() correlationId?: string;
}

export class Attribution {
  @IsOptional() @IsString() referer?: string;
  @IsOptional() @IsString() title?: string;
}

/** Video generation request after the gateway validated it (spec 004 body, normalised). */
export interface VideoRequest {
  models: string[];
  prompt: string;
  duration?: number;
  aspectRatio?: string;
  resolution?: string;
  imageUrl?: string;
  withAudio?: boolean;
  provider?: {
    order?: string[];
    /** Only these providers' routes (OpenRouter's `only`). */
    only?: string[];
    /** Never these providers' routes. */
    ignore?: string[];
    /** false: only the first eligible route of each model is tried. Default true. */
    allow_fallbacks?: boolean;
    /** true: only routes that honour every parameter sent (a requested resolution included). Default false. */
    require_parameters?: boolean;
    /** How eligible routes are ordered: `price` (default), `latency` (measured completion time), `success` (measured success rate). */
    sort?: 'price' | 'latency' | 'success';
    max_price?: { per_request_cents?: number; per_second_cents?: number };
  };
  /**
   * Model-specific options (`negative_prompt`, `seed`, …): only keys the catalog allows for the model,
   * each with its declared price effect. Nothing outside the fields above and this object reaches a provider.
   */
  options?: Record<string, unknown>;
}

/** The spend limit of the API key that made a create: every hold of the generation counts against it. */
export class KeyLimitMsg implements KeyLimit {
  @IsInt() @Min(0) limitCents!: number;
  @IsIn(KEY_LIMIT_RESETS) reset!: KeyLimitReset;
}

export class CreateGenerationMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  @IsObject() request!: VideoRequest;
  @IsOptional() @ValidateNested() @Type(() => Attribution) attribution?: Attribution;
  /** The customer's Idempotency-Key: a create repeated with it answers the first generation. */
  @IsOptional() @IsString() @MaxLength(255) idempotencyKey?: string;
  /**
   * The org's cap on generations (both APIs) pending or processing at once; the router refuses the
   * create with TOO_MANY_REQUESTS at the cap. Absent: no cap (callers other than the gateway).
   */
  @IsOptional() @IsInt() @Min(1) maxInFlight?: number;
  /** The API key that made the create (its holds are tagged with it). */
  @IsOptional() @IsString() @MaxLength(64) keyId?: string;
  /** That key's spend limit, when it has one. */
  @IsOptional() @ValidateNested() @Type(() => KeyLimitMsg) keyLimit?: KeyLimitMsg;
}

/** `router.response.create`: the request itself is validated by the gateway (spec 002 rules). */
export class CreateResponseMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  @IsObject() request!: ResponseRequest;
  @IsOptional() @ValidateNested() @Type(() => Attribution) attribution?: Attribution;
  @IsOptional() @IsString() @MaxLength(255) idempotencyKey?: string;
  /**
   * The org's cap on generations (both APIs) pending or processing at once; the router refuses the
   * create with TOO_MANY_REQUESTS at the cap. Absent: no cap (callers other than the gateway).
   */
  @IsOptional() @IsInt() @Min(1) maxInFlight?: number;
  @IsOptional() @IsString() @MaxLength(64) keyId?: string;
  @IsOptional() @ValidateNested() @Type(() => KeyLimitMsg) keyLimit?: KeyLimitMsg;
}

export class GetByIdMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  @IsString() @IsNotEmpty() id!: string;
}

/**
 * `GetByIdMsg` checked by hand, for the hot read subjects (polls): the same rules as `validateMessage`
 * (class-transformer + class-validator) without building an instance per message.
 */
export function readGetByIdMsg(payload: unknown): GetByIdMsg {
  const p = payload as Partial<Record<keyof GetByIdMsg, unknown>> | null;
  if (!p || typeof p !== 'object') throw new DomainError(ErrorCode.BAD_REQUEST, 'message must be an object');
  const issues: string[] = [];
  if (typeof p.v !== 'number' || !Number.isInteger(p.v)) issues.push('v must be an integer number');
  if (p.correlationId !== undefined && p.correlationId !== null && typeof p.correlationId !== 'string') issues.push('correlationId must be a string');
  for (const f of ['orgId', 'id'] as const) if (typeof p[f] !== 'string' || p[f] === '') issues.push(`${f} should not be empty`);
  if (issues.length) throw new DomainError(ErrorCode.BAD_REQUEST, issues.join('; '));
  return p as GetByIdMsg;
}

export class OrgMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
}

export class PlaceHoldMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  /** Idempotency key and identity of the hold: `<generationId>:<attempt>`. */
  @IsString() @IsNotEmpty() holdId!: string;
  @IsInt() @Min(0) amountCents!: number;
  @IsString() @IsNotEmpty() generationId!: string;
  /** The API key whose spend the hold counts against (with its limit: the hold is refused beyond it). */
  @IsOptional() @IsString() @MaxLength(64) keyId?: string;
  @IsOptional() @IsInt() @Min(0) keyLimitCents?: number;
  @IsOptional() @IsIn(KEY_LIMIT_RESETS) keyLimitReset?: KeyLimitReset;
}

export class TopupMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  @IsInt() @Min(1) amountCents!: number;
  @IsString() @IsNotEmpty() idempotencyKey!: string;
  @IsString() @IsIn(['operator', 'stripe', 'sandbox']) source!: 'operator' | 'stripe' | 'sandbox';
  @IsOptional() @IsString() note?: string;
}

export class TokenChargeMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  @IsString() @IsNotEmpty() responseId!: string;
  @IsInt() @Min(0) amountCents!: number;
  @IsInt() @Min(0) inputTokens!: number;
  @IsInt() @Min(0) outputTokens!: number;
  /** The orchestration model, so the usage row of a job still running names it. */
  @IsOptional() @IsString() @MaxLength(200) model?: string;
}

/** A balance as the public API shows it (`GET /v1/billing/balance`, `/v1/usage`): snake_case, no org id (the caller's own). */
export interface BalanceView {
  balance_cents: number;
  held_cents: number;
  available_cents: number;
  /** What the org owes (usage it could not cover, credits Stripe took back after they were spent); paid first by any top-up. Creates are refused while above 0. */
  owed_cents: number;
}

/** Submit one attempt to a provider. */
export class SubmitJobMsg extends Envelope {
  @IsString() @IsNotEmpty() generationId!: string;
  @IsInt() @Min(1) attempt!: number;
  @IsString() provider!: ProviderSlug;
  @IsString() @IsNotEmpty() providerModelId!: string;
  @IsObject() params!: Record<string, unknown>;
  @IsString() api!: ApiKind;
  /** Seconds after which the provider should stop spending (Replicate `Cancel-After`). */
  @IsOptional() @IsNumber() deadlineSeconds?: number;
}

export type SubmitJobResult =
  | { ok: true; providerJobId: string; mode: 'callback' | 'poll' }
  | { ok: false; kind: ProviderErrorKind; retryable: boolean; message: string };

export class CancelJobMsg extends Envelope {
  @IsString() @IsNotEmpty() generationId!: string;
  @IsInt() attempt!: number;
}

/** Event: a provider job reached a final state. */
export interface ProviderJobFinishedEvt {
  v: 1;
  eventId: string;
  generationId: string;
  attempt: number;
  provider: ProviderSlug;
  providerJobId: string;
  outcome: 'succeeded' | 'failed' | 'cancelled';
  outputUrl?: string | null;
  artifactUrl?: string | null;
  artifactType?: string | null;
  errorKind?: ProviderErrorKind | null;
  errorMessage?: string | null;
  /** Actual seconds of video produced, when the provider tells. */
  durationSeconds?: number | null;
  /**
   * Orchestration tokens (Responses jobs), repeated from `provider_job.usage_reported`: the two events
   * travel on separate consumers, so the end of a job may be applied before its usage; the router then
   * charges from here (the charge is idempotent, whichever event comes first posts it).
   */
  usage?: { inputTokens: number; outputTokens: number } | null;
  correlationId?: string;
}

export interface ProviderJobUsageEvt {
  v: 1;
  eventId: string;
  generationId: string;
  attempt: number;
  inputTokens: number;
  outputTokens: number;
  correlationId?: string;
}

export interface HoldReleaseRequestedEvt {
  v: 1;
  eventId: string;
  orgId: string;
  holdId: string;
  reason: string;
}

/** Event: a generation of either API is final. Billing settles the hold, webhooks notify. */
export interface GenerationFinishedEvt {
  v: 1;
  eventId: string;
  api: ApiKind;
  generationId: string;
  orgId: string;
  status: string;
  succeeded: boolean;
  model: string | null;
  provider: string | null;
  holdId: string | null;
  /** Cents to capture from the hold (0 when failed, which releases it). */
  costCents: number;
  outputUrl: string | null;
  errorMessage: string | null;
  appTitle?: string | null;
  finishedAt: string;
  correlationId?: string;
  /** Internal extras (createdAt, keepTokenCharge); never shown to customers. */
  extra?: Record<string, unknown>;
  /**
   * The public object exactly as `GET /v1/video/generations/{id}` or `GET /v1/responses/{id}` returns it
   * once final (snake_case, public provider names, our error codes): the customer webhook carries it as is.
   * Absent on events written before it existed.
   */
  resource?: Record<string, unknown>;
}

/**
 * Broadcast `generation.updated.<orgId>` (BROADCASTS.generationUpdated): the generation's public view
 * changed and the change is committed, so a re-read sees it. A notice, not the new state: mirrors drop
 * their copy (the gateway's poll view) or re-read it (status streams).
 */
export interface GenerationUpdatedMsg {
  v: 1;
  id: string;
  orgId: string;
  api: ApiKind;
  /** The stored status after the change (pending, processing, completed, failed, cancelled, incomplete). */
  status: string;
  /** The current attempt number (a fallback to another route changes it while the status stays). */
  attempt: number;
  /** True once the generation was deleted (DELETE /v1/videos/{id}): every face answers 404. */
  deleted: boolean;
}

export class UsageListMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  @IsOptional() @IsString() from?: string;
  @IsOptional() @IsString() to?: string;
  @IsOptional() @IsInt() @Min(1) limit?: number;
  @IsOptional() @IsString() cursor?: string;
}

export class BoolFlag {
  @IsBoolean() value!: boolean;
}

/** Responses API create body (spec 002) after the gateway validated it; the router's input. */
export interface ResponseRequest {
  model: string;
  input: string | Array<Record<string, unknown>>;
  instructions?: string;
  engine?: string;
  expand_prompt?: boolean;
  width?: number;
  height?: number;
  aspectRatio?: string;
  /** Most output tokens the orchestration model may write (OpenAI's name); the router's default when absent. */
  max_output_tokens?: number;
  /** Provider routing preferences (the video API's fields; each engine has one provider today). */
  provider?: { order?: string[]; only?: string[]; ignore?: string[]; allow_fallbacks?: boolean; require_parameters?: boolean; sort?: 'price' | 'latency' | 'success' };
  metadata?: Record<string, string>;
}
