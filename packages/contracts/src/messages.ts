/**
 * Payloads that cross NATS. Every payload carries `v` (schema version) and, for RPC, the caller's
 * correlation id. Receivers validate with class-validator (see validate.ts).
 */
import { Type } from 'class-transformer';
import {
  IsBoolean, IsIn, IsInt, IsNotEmpty, IsNumber, IsObject, IsOptional, IsString, MaxLength, Min, ValidateNested,
} from 'class-validator';
import { DomainError, ErrorCode } from './errors';
import { type ApiKind, type ProviderErrorKind, type ProviderSlug, USAGE_APIS, USAGE_STATUSES } from './enums';
import { KEY_LIMIT_RESETS, type KeyLimit, type KeyLimitReset } from './key-limits';
import type { ResponseView, VideoGenerationView } from './router.views';

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

/** `router.output.get`: the stored file of a generation of `api` (the caller's org only). */
export class GetOutputMsg extends GetByIdMsg {
  @IsIn(['video', 'responses']) api!: ApiKind;
}

/** Reply of `router.output.get`. */
export interface OutputLocation {
  id: string;
  status: string;
  output: StoredFileRef | null;
  artifact: StoredFileRef | null;
  /** Rows completed before outputs were stored: the provider's URL (streamed through, as before). */
  legacyOutputUrl: string | null;
}

/**
 * `GetByIdMsg` checked by hand, for the hot read subjects (polls): the same rules as the class decoder (`classDecoder` in seam.ts)
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

/**
 * Releases a hold now (`billing.hold.release`): the router, falling back to another route, asks for the
 * failed attempt's hold before it holds for the next one, so the org's balance and its key's limit do not
 * pay for both at once. The same release as the `hold.release_requested` event the router wrote when it
 * closed the attempt, under the same inbox id (`release:<holdId>`): whichever comes second is a no-op.
 */
export class ReleaseHoldMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  @IsString() @IsNotEmpty() holdId!: string;
  /** Why (the attempt's outcome), as the event says it. */
  @IsString() @IsNotEmpty() @MaxLength(64) reason!: string;
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
  /** The org the generation belongs to (whose own provider key a BYOK attempt uses). */
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(64) orgId?: string;
  /**
   * Run on the org's own key for this provider (the router held only the platform fee for it). The
   * providers service never falls back to the platform key for such an attempt, nor uses the org's
   * key for an attempt without it: what runs is what was billed.
   */
  @IsOptional() @IsBoolean() byok?: boolean;
}

export type SubmitJobResult =
  | { ok: true; providerJobId: string; mode: 'callback' | 'poll' }
  | {
      ok: false;
      kind: ProviderErrorKind;
      retryable: boolean;
      message: string;
      /**
       * The failure lies with the org's own provider key a BYOK attempt ran on (removed, refused, or over
       * its own rate limit or quota), not with the route: the router falls back without counting it
       * against the route's breaker or health, which every other org's jobs share.
       */
      ownKey?: boolean;
    };

export class CancelJobMsg extends Envelope {
  @IsString() @IsNotEmpty() generationId!: string;
  @IsInt() attempt!: number;
}

// ---------------------------------------------------------------------------------------------
// Durable events (JetStream). Classes, so a consumer validates each one once at the boundary (seam.ts);
// every field that decides money is a named, typed field here.

const PROVIDER_JOB_OUTCOMES = ['succeeded', 'failed', 'cancelled'] as const;
const API_KINDS: readonly ApiKind[] = ['video', 'responses'];

/** Orchestration tokens of a Responses job. */
export class TokenUsage {
  @IsInt() @Min(0) inputTokens!: number;
  @IsInt() @Min(0) outputTokens!: number;
}

/**
 * Where a running job stands, as its provider reports it (mapped in each adapter): `percent` 0–100
 * (estimated from the phase where the provider gives no number), the queue position while queued
 * (fal), and the provider's phase (`queued`, `starting`, `processing`, `composing`, `rendering`, …).
 */
export class JobProgress {
  @IsNumber() @Min(0) percent!: number;
  @IsOptional() @IsInt() @Min(0) queuePosition?: number | null;
  @IsOptional() @IsString() phase?: string | null;
}

/** A file we copied into our object storage (docs/outputs.md). */
export class StoredFileRef {
  @IsString() @IsNotEmpty() key!: string;
  @IsInt() @Min(0) bytes!: number;
  /** Hex SHA-256 of the stored bytes. */
  @IsString() sha256!: string;
  @IsString() contentType!: string;
  /** Seconds, read from the file (MP4 `mvhd`, Lottie frames); null when the container does not say. */
  @IsOptional() @IsNumber() durationSeconds!: number | null;
  /** ISO time when retention ends: the file is deleted then and the API answers 410. */
  @IsString() retainedUntil!: string;
}

/** Event: a provider job reached a final state. */
export class ProviderJobFinishedEvt {
  @IsIn([1]) v!: 1;
  @IsString() @IsNotEmpty() eventId!: string;
  @IsString() @IsNotEmpty() generationId!: string;
  @IsInt() @Min(1) attempt!: number;
  @IsString() @IsNotEmpty() provider!: ProviderSlug;
  @IsString() providerJobId!: string;
  @IsIn(PROVIDER_JOB_OUTCOMES) outcome!: (typeof PROVIDER_JOB_OUTCOMES)[number];
  @IsOptional() @IsString() outputUrl?: string | null;
  @IsOptional() @IsString() artifactUrl?: string | null;
  @IsOptional() @IsString() artifactType?: string | null;
  @IsOptional() @IsString() errorKind?: ProviderErrorKind | null;
  @IsOptional() @IsString() errorMessage?: string | null;
  /** Actual seconds of video produced, when the provider tells. */
  @IsOptional() @IsNumber() durationSeconds?: number | null;
  /**
   * Orchestration tokens (Responses jobs), repeated from `provider_job.usage_reported`: the two events
   * travel on separate consumers, so the end of a job may be applied before its usage; the router then
   * charges from here (the charge is idempotent, whichever event comes first posts it).
   */
  @IsOptional() @ValidateNested() @Type(() => TokenUsage) usage?: TokenUsage | null;
  /** The output video as we stored it (copied in before this event): the generation serves this, never the provider's URL. */
  @IsOptional() @ValidateNested() @Type(() => StoredFileRef) output?: StoredFileRef | null;
  /** The artifact (Framerate Lottie) as we stored it. */
  @IsOptional() @ValidateNested() @Type(() => StoredFileRef) artifact?: StoredFileRef | null;
  @IsOptional() @IsString() correlationId?: string;
}

/** Event: a Framerate job finished composing and reported its orchestration tokens. */
export class ProviderJobUsageEvt {
  @IsIn([1]) v!: 1;
  @IsString() @IsNotEmpty() eventId!: string;
  @IsString() @IsNotEmpty() generationId!: string;
  @IsInt() @Min(1) attempt!: number;
  @IsInt() @Min(0) inputTokens!: number;
  @IsInt() @Min(0) outputTokens!: number;
  @IsOptional() @IsString() correlationId?: string;
}

/** Event: a running job's progress changed (only emitted on a change). */
export class ProviderJobProgressedEvt {
  @IsIn([1]) v!: 1;
  @IsString() @IsNotEmpty() eventId!: string;
  @IsString() @IsNotEmpty() generationId!: string;
  @IsInt() @Min(1) attempt!: number;
  @ValidateNested() @Type(() => JobProgress) progress!: JobProgress;
  @IsOptional() @IsString() correlationId?: string;
}

/** Event: an attempt's hold must be released because the router moved on to another route. */
export class HoldReleaseRequestedEvt {
  @IsIn([1]) v!: 1;
  @IsString() @IsNotEmpty() eventId!: string;
  @IsString() @IsNotEmpty() orgId!: string;
  @IsString() @IsNotEmpty() holdId!: string;
  @IsString() reason!: string;
  @IsOptional() @IsString() correlationId?: string;
}

/** Event: a generation of either API is final. Billing settles the hold, webhooks notify. */
export class GenerationFinishedEvt {
  @IsIn([1]) v!: 1;
  @IsString() @IsNotEmpty() eventId!: string;
  @IsIn(API_KINDS) api!: ApiKind;
  @IsString() @IsNotEmpty() generationId!: string;
  @IsString() @IsNotEmpty() orgId!: string;
  @IsString() @IsNotEmpty() status!: string;
  @IsBoolean() succeeded!: boolean;
  @IsOptional() @IsString() model!: string | null;
  @IsOptional() @IsString() provider!: string | null;
  /** The hold billing settles: captured at `costCents` when succeeded, else released; null = nothing held. */
  @IsOptional() @IsString() @IsNotEmpty() holdId!: string | null;
  /** Cents to capture from the hold (0 when failed, which releases it). */
  @IsInt() @Min(0) costCents!: number;
  /**
   * A Responses job that did not succeed but whose orchestration tokens were charged and stay charged
   * (cancelled after orchestration): billing must not refund the token charge. False everywhere else.
   */
  @IsBoolean() keepTokenCharge!: boolean;
  @IsOptional() @IsString() outputUrl!: string | null;
  @IsOptional() @IsString() errorMessage!: string | null;
  @IsOptional() @IsString() appTitle?: string | null;
  @IsString() finishedAt!: string;
  /** When the generation was created (ISO 8601). */
  @IsOptional() @IsString() createdAt?: string;
  @IsOptional() @IsString() correlationId?: string;
  /** The attempt that ran used the org's own provider key: billing books the platform fee (`byok_fee`), usage says `byok`. */
  @IsOptional() @IsBoolean() byok?: boolean;
  /**
   * The public object exactly as `GET /v1/video/generations/{id}` or `GET /v1/responses/{id}` returns it
   * once final (snake_case, public provider names, our error codes): the customer webhook carries it as is.
   * Absent on events written before it existed.
   */
  @IsOptional() @IsObject() resource?: VideoGenerationView | ResponseView;
}

/** Broadcast `provider_keys.changed` (BROADCASTS.providerKeysChanged): an org's own provider keys changed. */
export interface ProviderKeysChangedMsg {
  v: 1;
  orgId: string;
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
  /** Only rows (and totals) of this model, API or status. */
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) model?: string;
  @IsOptional() @IsIn(USAGE_APIS) api?: (typeof USAGE_APIS)[number];
  @IsOptional() @IsIn(USAGE_STATUSES) status?: (typeof USAGE_STATUSES)[number];
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
