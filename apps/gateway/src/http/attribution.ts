import { Attribution } from '@pipevideo/contracts';

export const TITLE_MAX_LENGTH = 100;
export const REFERER_MAX_LENGTH = 512;

function clean(v: string | string[] | undefined, max: number): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (typeof s !== 'string') return undefined;
  // Control characters have no place in a display name or URL; collapse whitespace runs.
  // eslint-disable-next-line no-control-regex
  const out = s.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, max).trim();
  return out || undefined;
}

/**
 * App attribution (OpenRouter-compatible): `HTTP-Referer` (or a browser's `Referer`) and
 * `X-Pipevideo-Title` (or `X-Title`), trimmed and length-capped. Undefined when neither is sent.
 */
export function attributionFrom(headers: Record<string, string | string[] | undefined>): Attribution | undefined {
  const referer = clean(headers['http-referer'], REFERER_MAX_LENGTH) ?? clean(headers['referer'], REFERER_MAX_LENGTH);
  const title = clean(headers['x-pipevideo-title'], TITLE_MAX_LENGTH) ?? clean(headers['x-title'], TITLE_MAX_LENGTH);
  if (!referer && !title) return undefined;
  const a: Attribution = {};
  if (referer) a.referer = referer;
  if (title) a.title = title;
  return a;
}
