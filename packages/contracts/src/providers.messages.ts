// Messages of the providers service's NATS API (request/reply payloads and replies).
// The request classes themselves (`SubmitJobMsg`, `CancelJobMsg`) and the base event types
// (`ProviderJobFinishedEvt`, `ProviderJobUsageEvt`) live in messages.ts; this file adds what the
// providers service answers and emits on top of them.
import type { Engine } from './enums';
import type { ProviderJobFinishedEvt, VideoRequest } from './messages';

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
