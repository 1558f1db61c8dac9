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
  BadRequest = 'bad_request',
  Garbage = 'garbage',
}
export const RETRYABLE_PROVIDER_ERRORS = new Set<ProviderErrorKind>([
  ProviderErrorKind.Down,
  ProviderErrorKind.Timeout,
  ProviderErrorKind.ServerError,
  ProviderErrorKind.RateLimited,
  ProviderErrorKind.Moderation,
  ProviderErrorKind.Garbage,
]);

export type ApiKind = 'video' | 'responses';

export type Engine = 'hyperframes' | 'lottie' | 'auto';
