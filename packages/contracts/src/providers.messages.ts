// Messages of the providers service's NATS API (request/reply payloads and replies).
// The request classes themselves (`SubmitJobMsg`, `CancelJobMsg`) and the base event types
// (`ProviderJobFinishedEvt`, `ProviderJobUsageEvt`) live in messages.ts; this file adds what the
// providers service answers and emits on top of them.
import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import type { Engine } from './enums';
import { Envelope, type ProviderJobFinishedEvt, type VideoRequest } from './messages';

/**
 * `params` of a `providers.job.submit` for `api: 'video'` (spec 004 names, normalised by the gateway):
 * the request's media fields; `imageUrl` is an https URL or `data:image/…` URI, `withAudio` has `audio`
 * merged in (always sent, so a provider's own audio default never makes what was not billed), `options`
 * holds the catalog-allowed model options the provider maps to its own field names.
 */
export type VideoJobParams = Pick<VideoRequest, 'prompt' | 'duration' | 'aspectRatio' | 'resolution' | 'imageUrl' | 'withAudio' | 'options'>;

/** `params` of a `providers.job.submit` for `api: 'responses'` (spec 002 names). */
export interface ResponsesJobParams {
  engine: Exclude<Engine, 'auto'>;
  /** Orchestration model id, e.g. `moonshotai/kimi-k2.5`. */
  model: string;
  /** A prompt string or OpenAI Responses input items. */
  input: string | unknown[];
  instructions?: string;
  width: number;
  height: number;
  aspectRatio?: string;
  expand_prompt?: boolean;
}

/** What the provider said when we asked it to cancel. */
export type UpstreamCancelResult = 'cancelled' | 'already_finished' | 'not_found' | 'unsupported' | 'failed' | 'not_submitted';

/**
 * Reply of `providers.job.cancel`. `cancelled` is true when the job was still in flight and is now
 * cancelled on our side (no further polling, a late callback changes nothing, and a
 * `provider_job.finished` with outcome `cancelled` was emitted); `upstream` says how the provider
 * answered the best-effort cancel. Unknown or already-final jobs answer `{ cancelled: false }`.
 */
export interface CancelJobResult {
  cancelled: boolean;
  upstream?: UpstreamCancelResult;
}

/**
 * `provider_job.finished` exactly as the providers service emits it: the base event plus
 * `incomplete`, set on a Framerate job that ended `incomplete` (then `outcome` is 'failed',
 * `errorKind` is 'server_error' and `errorMessage` starts with "incomplete:", so a consumer that only
 * knows the base event can still tell).
 */
export interface ProviderJobFinishedPayload extends ProviderJobFinishedEvt {
  incomplete?: boolean;
}

/** Providers an org may bring its own key for (issue 22): the public callback providers. */
export const BYOK_PROVIDERS = ['fal', 'replicate'] as const;
export type ByokProvider = (typeof BYOK_PROVIDERS)[number];

/** `providers.keys.put`: store (or replace) an org's own key for a provider, once it verifies upstream. */
export class ProviderKeyPutMsg extends Envelope {
  @IsString() @IsNotEmpty() @MaxLength(64) orgId!: string;
  @IsIn(BYOK_PROVIDERS) provider!: ByokProvider;
  /** The provider's API token, as the provider issued it; never stored or logged in clear. */
  @IsString() @IsNotEmpty() @MaxLength(512) key!: string;
}

/** `providers.keys.delete`. */
export class ProviderKeyDeleteMsg extends Envelope {
  @IsString() @IsNotEmpty() @MaxLength(64) orgId!: string;
  @IsIn(BYOK_PROVIDERS) provider!: ByokProvider;
}

/**
 * A stored key as the public API shows it (`GET /v1/provider-keys`): never the key, only its last four
 * characters. Times are unix seconds.
 */
export interface ProviderKeyView {
  object: 'provider_key';
  provider: ByokProvider;
  last4: string;
  verified_at: number;
  created_at: number;
  updated_at: number;
}

/** `providers.keys.list` reply. */
export interface ProviderKeyListReply {
  object: 'list';
  data: ProviderKeyView[];
  /** One key per provider at most: always one page. */
  has_more: false;
  next_cursor: null;
}

/** `providers.keys.delete` reply. */
export interface ProviderKeyDeleteReply {
  object: 'provider_key';
  provider: ByokProvider;
  deleted: boolean;
}

/** `providers.keys.active` reply: the providers the org's own verified key is stored for. */
export interface ProviderKeysActiveReply {
  providers: ByokProvider[];
}
