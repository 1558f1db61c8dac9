import { HttpException } from '@nestjs/common';
import { DomainError, ErrorCode, HTTP_STATUS_OF, isRpcErrorBody } from '@pipevideo/contracts';
import { ApiError, type FieldIssue, type PublicErrorCode } from '../errors/api-error';

// The errors themselves live in errors/ (domain code raises them too); re-exported for the shell.
export * from '../errors/api-error';
import { isConnectivityError, logger } from '@pipevideo/platform';

const STATUS_OF: Record<string, number> = { ...HTTP_STATUS_OF, UNSUPPORTED_MEDIA_TYPE: 415, METHOD_NOT_ALLOWED: 405, RANGE_NOT_SATISFIABLE: 416 };

/** The one normalised view of any failure, rendered in either public shape. */
export interface NormalizedError {
  status: number;
  code: PublicErrorCode;
  message: string;
  details?: FieldIssue[];
  param?: string | null;
  retryAfterSeconds?: number;
  openaiCode?: string;
}

function fromStatus(status: number, message: string): NormalizedError {
  if (status === 404) return { status, code: ErrorCode.NOT_FOUND, message };
  if (status === 405) return { status, code: 'METHOD_NOT_ALLOWED', message };
  if (status === 413) return { status, code: ErrorCode.PAYLOAD_TOO_LARGE, message: 'Request body is too large. Send data: URIs under the documented limit or use https URLs.' };
  if (status === 415)
    return { status, code: 'UNSUPPORTED_MEDIA_TYPE', message: `${message}. Send the body as JSON with 'Content-Type: application/json'.` };
  if (status === 401) return { status, code: ErrorCode.UNAUTHORIZED, message };
  if (status === 403) return { status, code: ErrorCode.FORBIDDEN, message };
  if (status === 429) return { status, code: ErrorCode.TOO_MANY_REQUESTS, message };
  if (status >= 400 && status < 500) {
    const json = /JSON|json/.test(message);
    return { status: 400, code: ErrorCode.BAD_REQUEST, message: json ? `Malformed JSON body: ${message}` : message };
  }
  return { status: 500, code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'Internal server error' };
}

/** Maps whatever was thrown (our errors, typed RPC errors, Nest/Fastify HTTP errors, bugs) to one shape. */
export function normalizeError(exception: unknown): NormalizedError {
  if (exception instanceof ApiError) {
    return {
      status: STATUS_OF[exception.code] ?? 500,
      code: exception.code as PublicErrorCode,
      message: exception.message,
      details: exception.extra.details,
      param: exception.extra.param,
      retryAfterSeconds: exception.extra.retryAfterSeconds,
      openaiCode: exception.extra.openaiCode,
    };
  }
  if (exception instanceof DomainError) {
    // Typed errors from downstream services: their code decides the status; details pass through when they are field issues.
    const details = Array.isArray(exception.details) ? (exception.details as FieldIssue[]) : undefined;
    const status = STATUS_OF[exception.code] ?? 500;
    // Defence in depth: a 500 from a service never carries its message (it may describe internals).
    if (status === 500) {
      logger.error({ err: exception.message }, 'downstream internal error');
      return { status, code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'Internal server error' };
    }
    // A downstream 429 (the router's cap on generations in flight) or 503 (its full dispatch queue) says when to come back in `details.retry_after`.
    const retryAfter = (exception.details as { retry_after?: unknown } | undefined)?.retry_after;
    const retryAfterSeconds = (status === 429 || status === 503) && typeof retryAfter === 'number' && retryAfter > 0 ? Math.ceil(retryAfter) : undefined;
    return { status, code: exception.code, message: exception.message, details, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
  }
  if (exception instanceof HttpException) return fromStatus(exception.getStatus(), exception.message);
  if (isRpcErrorBody(exception)) return { status: STATUS_OF[exception.code] ?? 500, code: exception.code, message: exception.message };
  const e = exception as { statusCode?: unknown; message?: unknown } | null;
  if (e && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return fromStatus(e.statusCode, String(e.message ?? 'Bad request'));
  if (isConnectivityError(exception)) {
    logger.warn({ err: exception instanceof Error ? exception.message : String(exception) }, 'gateway database unavailable');
    return { status: 503, code: ErrorCode.SERVICE_UNAVAILABLE, message: 'The gateway cannot reach its database right now. Retry shortly.' };
  }
  logger.error({ err: exception instanceof Error ? { message: exception.message, stack: exception.stack } : String(exception) }, 'unhandled gateway error');
  return { status: 500, code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'Internal server error' };
}

/** Video generations API (and every non-Responses endpoint): `{ error: { code, message, details? } }`. */
export function videoErrorBody(e: NormalizedError): Record<string, unknown> {
  const error: Record<string, unknown> = { code: e.code, message: e.message };
  if (e.details?.length) error.details = e.details;
  // spec 004: the 429 response "includes retry_after" — once, inside the one error envelope (docs/api-style.md).
  if (e.retryAfterSeconds !== undefined) error.retry_after = e.retryAfterSeconds;
  return { error };
}

const OPENAI_TYPE: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  405: 'invalid_request_error',
  409: 'invalid_request_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  429: 'rate_limit_error',
};

/** Responses API: OpenAI's `{ error: { message, type, param, code } }`. */
export function openaiErrorBody(e: NormalizedError): Record<string, unknown> {
  const error: Record<string, unknown> = {
    message: e.message,
    type: OPENAI_TYPE[e.status] ?? 'server_error',
    param: e.param ?? e.details?.[0]?.field ?? null,
    code: e.openaiCode ?? (e.status === 429 ? 'rate_limit_exceeded' : e.code.toLowerCase()),
  };
  if (e.details?.length) error.details = e.details;
  if (e.retryAfterSeconds !== undefined) error.retry_after = e.retryAfterSeconds;
  return { error };
}

/** Which public shape a path answers in: OpenAI's under the OpenAI-compatible APIs (Responses, Videos). */
export function usesOpenAIShape(url: string | undefined): boolean {
  return !!url && /^\/v1\/(?:responses|videos)(?:[/?#]|$)/.test(url);
}

export function errorBodyFor(url: string | undefined, e: NormalizedError): Record<string, unknown> {
  return usesOpenAIShape(url) ? openaiErrorBody(e) : videoErrorBody(e);
}
