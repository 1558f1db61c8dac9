import { ProviderErrorKind, RETRYABLE_PROVIDER_ERRORS } from '@pipevideo/contracts';

/**
 * A provider call that did not succeed. `kind` decides what the router does: retryable kinds
 * (down, timeout, server_error, rate_limited, garbage) fall back to the next route, moderation and
 * input_rejected (the provider refused this input, e.g. context length) to the next model;
 * bad_request — our own refusal before any call (unmappable parameters, an unsafe URL) — is final.
 */
export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  get retryable(): boolean {
    return RETRYABLE_PROVIDER_ERRORS.has(this.kind);
  }
}

export const isProviderError = (e: unknown): e is ProviderError => e instanceof ProviderError;

/** Words providers use when a prompt or output was refused by a safety system. */
const CONTENT_POLICY = /content[\s_-]?policy|content checker|flagged|sensitive|nsfw|moderation|safety (system|filter|check)/i;

export function looksLikeModeration(text: string | null | undefined): boolean {
  return !!text && CONTENT_POLICY.test(text);
}

/**
 * The classification every provider shares; adapters refine it (e.g. reading their error codes).
 * - 429 → rate_limited; 408/504 → timeout; 503 → down; other 5xx → server_error;
 * - 401/403 → down: the provider refuses *our* credentials, so another route may still serve;
 * - 404 → server_error: the model or job is unknown upstream (a catalog problem, not the customer's);
 * - other 4xx → input_rejected (the provider refused this input; another model may take it), or
 *   moderation when the body says a safety system refused the prompt.
 */
export function classifyHttpStatus(status: number, text: string): ProviderErrorKind {
  if (status === 429) return ProviderErrorKind.RateLimited;
  if (status === 408 || status === 504) return ProviderErrorKind.Timeout;
  if (status === 503) return ProviderErrorKind.Down;
  if (status >= 500) return ProviderErrorKind.ServerError;
  if (status === 401 || status === 403) return ProviderErrorKind.Down;
  if (status === 404) return ProviderErrorKind.ServerError;
  if (status >= 400) return looksLikeModeration(text) ? ProviderErrorKind.Moderation : ProviderErrorKind.InputRejected;
  return ProviderErrorKind.Garbage;
}

/** A short, log-safe excerpt of a provider's error body for messages. */
export function excerpt(text: string, max = 300): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

export function httpError(provider: string, operation: string, status: number, text: string, detail?: string): ProviderError {
  const kind = classifyHttpStatus(status, detail ?? text);
  const what = status === 401 || status === 403 ? 'rejected our credentials' : `answered HTTP ${status}`;
  return new ProviderError(kind, `${provider} ${operation} ${what}${detail || text ? `: ${excerpt(detail ?? text)}` : ''}`, status);
}

export function garbage(provider: string, operation: string, why: string): ProviderError {
  return new ProviderError(ProviderErrorKind.Garbage, `${provider} ${operation} answered garbage: ${why}`);
}
