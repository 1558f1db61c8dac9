import { createHash } from 'node:crypto';

/** One answer kept serialised in memory, with its validator. */
export interface StaticAnswer {
  body: string;
  etag: string;
  cacheControl: string;
}

/**
 * Answers that are the same for every caller (`/v1/models`, `/v1/engines`, `/openapi.json`), kept
 * serialised with a strong ETag (a hash of the body) so the gateway serves them without a NATS hop, a
 * serialisation or a guard, and answers `If-None-Match` with 304. Replacing an answer with an equal body
 * keeps its ETag, so clients revalidating across refreshes keep getting 304s.
 */
export class StaticAnswers {
  private readonly answers = new Map<string, StaticAnswer>();

  /** Stores `value` under `route`; true when the body changed. */
  set(route: string, value: unknown, cacheControl: string): boolean {
    const body = JSON.stringify(value);
    const prev = this.answers.get(route);
    if (prev && prev.body === body && prev.cacheControl === cacheControl) return false;
    this.answers.set(route, { body, etag: etagOf(body), cacheControl });
    return true;
  }

  get(route: string): StaticAnswer | undefined {
    return this.answers.get(route);
  }
}

export function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** RFC 9110 If-None-Match (weak comparison): `*`, or a list naming the current ETag. */
export function notModified(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const header = Array.isArray(ifNoneMatch) ? ifNoneMatch.join(',') : ifNoneMatch;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === opaque;
  });
}
