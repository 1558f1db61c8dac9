/** Video generations API statuses (spec 004). One-way: pending → processing → completed | failed. */
export enum GenerationStatus {
  Pending = 'pending',
  Processing = 'processing',
  Completed = 'completed',
  Failed = 'failed',
}
export const FINAL_GENERATION_STATUSES = [GenerationStatus.Completed, GenerationStatus.Failed];

/** Responses API statuses (spec 002). */
export enum ResponseStatus {
  Queued = 'queued',
  InProgress = 'in_progress',
  Completed = 'completed',
  Failed = 'failed',
  Cancelled = 'cancelled',
  Incomplete = 'incomplete',
}

/** What a usage row's `status` can be (a final status, or a Responses job still running with tokens charged): `GET /v1/usage?status=`. */
export const USAGE_STATUSES = ['completed', 'failed', 'cancelled', 'incomplete', 'in_progress'] as const;
/** The APIs a usage row belongs to: `GET /v1/usage?api=`. */
export const USAGE_APIS = ['video', 'responses'] as const;

export type ProviderSlug = 'fal' | 'replicate' | 'vercel-gateway' | 'framerate';
export const PROVIDER_SLUGS: ProviderSlug[] = ['fal', 'replicate', 'vercel-gateway', 'framerate'];
/** Providers a customer may name in `provider.order` for video generations (spec 004). */
export const USER_SELECTABLE_VIDEO_PROVIDERS: ProviderSlug[] = ['fal', 'replicate'];

/** Why a provider call did not succeed; decides fallback vs. final failure. */
export enum ProviderErrorKind {
  Down = 'down',
  Timeout = 'timeout',
  ServerError = 'server_error',
  RateLimited = 'rate_limited',
  Moderation = 'moderation',
  /** Our own refusal before any call (parameters we cannot map, an unsafe URL): final, not retried. */
  BadRequest = 'bad_request',
  /** The provider refused the input (a 4xx such as "context length exceeded"): the next model may take it. */
  InputRejected = 'input_rejected',
  Garbage = 'garbage',
  /**
   * The provider made the output but we could not store it (unreachable after retries, too large, not a
   * valid MP4/WebM/Lottie): final, not retried elsewhere — the generation fails and is refunded.
   */
  OutputStoreFailed = 'output_store_failed',
}
/** Kinds that move a generation to the next route or model (spec 004: downtime, rate limit, moderation, context length). */
export const RETRYABLE_PROVIDER_ERRORS = new Set<ProviderErrorKind>([
  ProviderErrorKind.Down,
  ProviderErrorKind.Timeout,
  ProviderErrorKind.ServerError,
  ProviderErrorKind.RateLimited,
  ProviderErrorKind.Moderation,
  ProviderErrorKind.InputRejected,
  ProviderErrorKind.Garbage,
]);
/** Kinds about the input on this model: the same input on another route of the model would fail again, so the next model is tried. */
export const MODEL_SKIPPING_PROVIDER_ERRORS = new Set<ProviderErrorKind>([ProviderErrorKind.Moderation, ProviderErrorKind.InputRejected]);

export type ApiKind = 'video' | 'responses';

export type Engine = 'hyperframes' | 'lottie' | 'auto';
