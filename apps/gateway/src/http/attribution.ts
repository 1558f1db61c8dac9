import { Attribution, refererOrigin, sanitizeAppTitle } from '@pipevideo/contracts';

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * App attribution (OpenRouter-compatible): `HTTP-Referer` (or a browser's `Referer`), reduced to its
 * origin — a path or query (`?session_token=…`) is never forwarded, stored or published — and
 * `X-Pipevideo-Title` (or `X-Title`), sanitised and capped (contracts' public-api.ts). Undefined when
 * neither yields anything.
 */
export function attributionFrom(headers: Record<string, string | string[] | undefined>): Attribution | undefined {
  const referer = refererOrigin(first(headers['http-referer'])) ?? refererOrigin(first(headers['referer']));
  const title = sanitizeAppTitle(first(headers['x-pipevideo-title'])) ?? sanitizeAppTitle(first(headers['x-title']));
  if (!referer && !title) return undefined;
  const a: Attribution = {};
  if (referer) a.referer = referer;
  if (title) a.title = title;
  return a;
}
