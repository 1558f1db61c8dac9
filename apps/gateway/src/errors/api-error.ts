import { DomainError, ErrorCode } from '@pipevideo/contracts';

/*
 * The gateway's own errors, raised by its domain code (orgs, keys, audit, videos) and its HTTP shell
 * alike; framework-free so the domain never imports http/. Rendering them (status, public shapes) is
 * http/api-error.ts's job.
 */

/** Codes of the public API: the spec's (carried over NATS) plus the three only HTTP can produce. */
export type PublicErrorCode = ErrorCode | 'UNSUPPORTED_MEDIA_TYPE' | 'METHOD_NOT_ALLOWED' | 'RANGE_NOT_SATISFIABLE';

export interface FieldIssue {
  /** Dotted path of the offending field (`provider.max_price.per_request_cents`). */
  field: string;
  message: string;
}

/** An error the gateway answers itself: code, message a person can act on, optional field issues. */
export class ApiError extends DomainError {
  constructor(
    code: PublicErrorCode,
    message: string,
    readonly extra: { details?: FieldIssue[]; retryAfterSeconds?: number; param?: string | null; openaiCode?: string } = {},
  ) {
    super(code as ErrorCode, message, extra.details);
    this.name = 'ApiError';
  }
}

export const unauthorized = (message: string) => new ApiError(ErrorCode.UNAUTHORIZED, message, { openaiCode: 'invalid_api_key' });
export const forbidden = (message: string) => new ApiError(ErrorCode.FORBIDDEN, message);
export const notFoundError = (message: string) => new ApiError(ErrorCode.NOT_FOUND, message);
export const badRequestError = (message: string, details?: FieldIssue[], param?: string | null) =>
  new ApiError(ErrorCode.BAD_REQUEST, message, { details, param: param ?? details?.[0]?.field ?? null });
