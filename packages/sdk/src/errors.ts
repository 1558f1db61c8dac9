/**
 * Typed errors of the Pipevideo API. Every failed call throws a subclass of PipevideoError carrying the
 * HTTP status, the API's error `code`, its message (written for people), field `details` when the
 * request was invalid, and `retryAfter` (seconds) when the API said when to come back (429, 503).
 */
export interface FieldIssue {
  field: string;
  message: string;
}

export class PipevideoError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when no answer arrived (network error, timeout). */
    readonly status: number,
    /** The API's error code (`BAD_REQUEST`, `NOT_FOUND`, `TOO_MANY_REQUESTS`, … or OpenAI's lower-case codes under /v1/videos). */
    readonly code: string,
    readonly details?: FieldIssue[],
    /** Seconds to wait before retrying, when the API said so (Retry-After / retry_after). */
    readonly retryAfter?: number,
    /** The X-Correlation-Id of the request: quote it when asking for support. */
    readonly requestId?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request is invalid (see `details`). */
export class BadRequestError extends PipevideoError {}
/** 400: the balance cannot cover the job. Add credits (dashboard /billing, or POST /v1/billing/checkout), then retry. */
export class InsufficientBalanceError extends BadRequestError {}
/** 401: missing, malformed, unknown, revoked or expired API key. */
export class AuthenticationError extends PipevideoError {}
/** 403: the wrong kind of key (management keys only manage keys). */
export class PermissionDeniedError extends PipevideoError {}
/** 404: no such object in your organization. */
export class NotFoundError extends PipevideoError {}
/** 409: Idempotency-Key conflict, or the object is not in a state for this (e.g. content of an unfinished video). */
export class ConflictError extends PipevideoError {}
/** 413: the body is too large (data: URIs hold at most 512 KiB). */
export class PayloadTooLargeError extends PipevideoError {}
/** 429: rate limited; `retryAfter` says when to retry. */
export class RateLimitError extends PipevideoError {}
/** 503: a service is briefly unavailable; retry (after `retryAfter` when given). */
export class ServiceUnavailableError extends PipevideoError {}
/** 5xx other than 503. */
export class InternalServerError extends PipevideoError {}
/** No answer: the network failed or the request was aborted. */
export class ConnectionError extends PipevideoError {}
/** `generate()` waited longer than its `timeoutMs`; the generation may still finish (poll it by id). */
export class GenerationTimeoutError extends PipevideoError {}

/** `generate()`: the generation ended `failed` (it was refunded). `generation` is its final state. */
export class GenerationFailedError extends PipevideoError {
  constructor(
    message: string,
    readonly generation: { id: string; status: string; error_message?: string | null } & Record<string, unknown>,
  ) {
    super(message, 0, 'GENERATION_FAILED');
  }
}

function numberOr(x: unknown): number | undefined {
  const n = typeof x === 'string' ? Number(x) : x;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The error an HTTP answer stands for. `body` is the parsed JSON error body (either API's shape), if any. */
export function errorFromResponse(status: number, body: unknown, headers?: { get(name: string): string | null }): PipevideoError {
  const root = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const e = (root.error && typeof root.error === 'object' ? root.error : {}) as Record<string, unknown>;
  const message = typeof e.message === 'string' ? e.message : typeof body === 'string' && body ? body.slice(0, 500) : `HTTP ${status}`;
  const code = typeof e.code === 'string' ? e.code : `HTTP_${status}`;
  const details = Array.isArray(e.details) ? (e.details as FieldIssue[]) : undefined;
  const retryAfter = numberOr(e.retry_after) ?? numberOr(root.retry_after) ?? numberOr(headers?.get('retry-after'));
  const requestId = headers?.get('x-correlation-id') ?? undefined;
  const args = [message, status, code, details, retryAfter, requestId] as const;
  if (status === 400) return /insufficient balance/i.test(message) ? new InsufficientBalanceError(...args) : new BadRequestError(...args);
  if (status === 401) return new AuthenticationError(...args);
  if (status === 403) return new PermissionDeniedError(...args);
  if (status === 404) return new NotFoundError(...args);
  if (status === 409) return new ConflictError(...args);
  if (status === 413) return new PayloadTooLargeError(...args);
  if (status === 429) return new RateLimitError(...args);
  if (status === 503) return new ServiceUnavailableError(...args);
  if (status >= 500) return new InternalServerError(...args);
  return new PipevideoError(...args);
}
