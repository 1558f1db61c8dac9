/**
 * What the public API calls things (docs/api-style.md): the public name of every provider, the
 * vocabulary of generation failures (`error.code` / `error_code`) with the sentences shown to customers,
 * and the rules for app attribution shown in rankings. Every service renders its public views with
 * these, so a name is the same in polls, lists, usage rows, webhooks and `GET /v1/models`.
 */
import { ProviderErrorKind } from './enums';

// ---------------------------------------------------------------------------------------------
// Provider names

/**
 * Name under which internal routes are shown to customers: the route is served by Pipevideo's own
 * upstream account, not by a provider the customer can choose (spec 004: vercel-gateway "is used
 * internally and is not user-selectable").
 */
export const INTERNAL_PROVIDER_LABEL = 'pipevideo';
/** Provider slugs that never leave the platform under their own name. */
export const INTERNAL_PROVIDER_SLUGS: readonly string[] = ['vercel-gateway'];

/** The public name of a provider slug (`vercel-gateway` → `pipevideo`); null stays null. */
export function publicProviderName(slug: string): string;
export function publicProviderName(slug: string | null | undefined): string | null;
export function publicProviderName(slug: string | null | undefined): string | null {
  if (slug === null || slug === undefined) return null;
  return INTERNAL_PROVIDER_SLUGS.includes(slug) ? INTERNAL_PROVIDER_LABEL : slug;
}

// ---------------------------------------------------------------------------------------------
// Generation failures

/** spec 004's "Generation failures" causes: every `error_message` starts with one of them. */
export const FAILURE = {
  reservation: 'Reservation failed',
  submission: 'Provider submission failed',
  callbackTimeout: 'Provider callback timed out',
  pollTimeout: 'Generation timed out',
  providerFailure: 'Provider returned failure',
} as const;

/**
 * Why a generation (or one of its attempts) failed: the stable `error.code` of the Responses API,
 * `error_code` of a video generation and `attempts[].error_code`. Never a provider's own words.
 */
export const GENERATION_ERROR_CODES = [
  'reservation_failed',
  'provider_unavailable',
  'provider_rate_limited',
  'provider_timeout',
  'content_policy',
  'input_rejected',
  'invalid_request',
  'callback_timeout',
  'generation_timeout',
  'provider_failure',
  'incomplete',
  'output_unavailable',
] as const;
export type GenerationErrorCode = (typeof GENERATION_ERROR_CODES)[number];

/** What each code means, in the words customers read (docs and OpenAPI list the same table). */
export const GENERATION_ERROR_MEANINGS: Record<GenerationErrorCode, string> = {
  reservation_failed: 'the organization could not cover the job (insufficient credits); no provider was called',
  provider_unavailable: 'no provider could take the job: every eligible route was down or answered with an error',
  provider_rate_limited: 'the providers that could make the video were rate-limited',
  provider_timeout: 'the providers that could make the video did not answer in time',
  content_policy: "the provider's content policy refused the prompt or the image",
  input_rejected: 'the provider refused the input (for example a prompt too long for the model)',
  invalid_request: 'the request could not be sent as given (a media URL that cannot be fetched safely, or a parameter the model does not take)',
  callback_timeout: 'the provider did not report back within 15 minutes',
  generation_timeout: 'the provider did not finish within about 10 minutes',
  provider_failure: 'the provider accepted the job but reported a failure',
  incomplete: 'the engine stopped before the video was complete (render limits)',
  output_unavailable: 'the provider made the video but it could not be stored (unreachable, too large, or not a valid MP4, WebM or Lottie file); nothing was charged',
};

/**
 * The public code of a stored failure: our codes pass through; provider error kinds (stored by older
 * versions, and attempts' `error_kind`) map onto the vocabulary; anything else is `provider_failure`.
 */
export function publicGenerationErrorCode(stored: string | null | undefined, phase: 'submission' | 'reported' = 'reported'): GenerationErrorCode {
  if (stored && (GENERATION_ERROR_CODES as readonly string[]).includes(stored)) return stored as GenerationErrorCode;
  switch (stored) {
    case ProviderErrorKind.Moderation:
      return 'content_policy';
    case ProviderErrorKind.InputRejected:
      return 'input_rejected';
    case ProviderErrorKind.BadRequest:
      return 'invalid_request';
    case ProviderErrorKind.RateLimited:
      return 'provider_rate_limited';
    case ProviderErrorKind.OutputStoreFailed:
      return 'output_unavailable';
    case ProviderErrorKind.Timeout:
      // Also the sweeper's code before the vocabulary: those rows keep their stored message.
      return 'provider_timeout';
    case ProviderErrorKind.Down:
    case ProviderErrorKind.ServerError:
    case ProviderErrorKind.Garbage:
    case 'all_routes_failed':
    case 'breaker_open':
      return phase === 'submission' ? 'provider_unavailable' : 'provider_failure';
    default:
      return 'provider_failure';
  }
}

/**
 * The customer's `error_message` of a failure: spec 004's cause, then our own sentence. `phase` says
 * whether it failed before any provider accepted the job (`Provider submission failed: …`) or after
 * (`Provider returned failure: …`); timeouts are spec 004's sentences as they stand.
 */
export function generationFailureMessage(code: GenerationErrorCode, phase: 'submission' | 'reported', detail?: string): string {
  if (code === 'callback_timeout') return FAILURE.callbackTimeout;
  if (code === 'generation_timeout') return FAILURE.pollTimeout;
  // billing's refusal is our own sentence ("Insufficient balance: …"): it says how much and what to do.
  if (code === 'reservation_failed') return `${FAILURE.reservation}: ${detail ?? GENERATION_ERROR_MEANINGS.reservation_failed}`;
  return `${phase === 'submission' ? FAILURE.submission : FAILURE.providerFailure}: ${GENERATION_ERROR_MEANINGS[code]}`;
}

// ---------------------------------------------------------------------------------------------
// App attribution (rankings)

export const APP_TITLE_MAX_LENGTH = 100;

/**
 * A display title: no control, format (bidi overrides, zero-width), private-use or unpaired surrogate
 * characters, whitespace runs collapsed, at most APP_TITLE_MAX_LENGTH characters (code points, so an
 * emoji is never cut in half). Undefined when nothing printable is left.
 */
export function sanitizeAppTitle(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  // Invisible characters go (a zero-width space inside a word leaves the word whole); line breaks and controls become spaces.
  const cleaned = raw.replace(/[\p{Cf}\p{Co}\p{Cs}]/gu, '').replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, ' ').replace(/\s+/g, ' ').trim();
  const capped = [...cleaned].slice(0, APP_TITLE_MAX_LENGTH).join('').trim();
  return capped || undefined;
}

/**
 * The origin of an attribution referer (`https://app.example:8443`), never its path, query, fragment or
 * credentials (a Referer may carry a session token). Lower-cased; undefined when it is not an absolute
 * URL with a host.
 */
export function refererOrigin(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length > 2048) return undefined;
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if (!u.host) return undefined;
  // Non-special schemes (android-app://…) have origin "null": rebuild it from scheme and host.
  return `${u.protocol}//${u.host}`.toLowerCase();
}
