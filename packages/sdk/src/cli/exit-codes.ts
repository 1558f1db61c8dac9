import {
  AuthenticationError, ConnectionError, GenerationFailedError, GenerationTimeoutError, InsufficientBalanceError, PermissionDeniedError, PipevideoError,
  RateLimitError, ServiceUnavailableError,
} from '../errors';

/** The CLI's exit codes: stable, documented in the README, for scripts to branch on. */
export const EXIT = {
  OK: 0,
  /** Anything unexpected (a bug, a local file that cannot be written). */
  ERROR: 1,
  /** Bad command line: unknown command or option, missing argument. */
  USAGE: 2,
  /** No API key, or the key was refused (401) or is of the wrong kind (403). */
  AUTH: 3,
  /** The balance cannot cover the job: add credits. */
  INSUFFICIENT_BALANCE: 4,
  /** The generation ended failed (it was refunded). */
  GENERATION_FAILED: 5,
  /** The API refused the request (400 invalid, 404 not found, 409, 413). */
  REQUEST_REFUSED: 6,
  /** Temporarily unavailable (429 rate limited, 503, network): retrying later may work. */
  UNAVAILABLE: 7,
  /** `generate` stopped waiting (--timeout); the generation may still finish. */
  TIMEOUT: 8,
} as const;

export function exitCodeOf(err: unknown): number {
  if (err instanceof NoApiKeyError || err instanceof AuthenticationError || err instanceof PermissionDeniedError) return EXIT.AUTH;
  if (err instanceof InsufficientBalanceError) return EXIT.INSUFFICIENT_BALANCE;
  if (err instanceof GenerationFailedError) return EXIT.GENERATION_FAILED;
  if (err instanceof GenerationTimeoutError) return EXIT.TIMEOUT;
  if (err instanceof RateLimitError || err instanceof ServiceUnavailableError || err instanceof ConnectionError) return EXIT.UNAVAILABLE;
  if (err instanceof PipevideoError && err.status >= 400 && err.status < 500) return EXIT.REQUEST_REFUSED;
  return EXIT.ERROR;
}

/** No key anywhere (flag, env, config). */
export class NoApiKeyError extends Error {
  constructor() {
    super('No API key. Run `pipevideo login` (or set PIPEVIDEO_API_KEY, or pass --api-key pv_…).');
  }
}
