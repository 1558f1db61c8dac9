import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';

/** The content codings an answer is kept in. */
export type ContentCoding = 'br' | 'gzip' | 'identity';

/** One representation of an answer: its bytes, its strong ETag and the headers that go with it. */
export interface StaticVariant {
  coding: ContentCoding;
  body: Buffer;
  etag: string;
  /** A 200's headers, as the flat name/value list `ServerResponse.writeHead` takes (no per-request ones). */
  headers: readonly string[];
  /** A 304's headers (RFC 9110 15.4.5: those a 200 would carry that describe the cache entry). */
  notModifiedHeaders: readonly string[];
}

/** One answer kept in memory: the JSON text and each representation of it. */
export interface StaticAnswer {
  /** The JSON text (the identity representation, as a string). */
  body: string;
  /** The identity representation's ETag. */
  etag: string;
  cacheControl: string;
  identity: StaticVariant;
  /** Present when smaller than the identity representation. */
  gzip?: StaticVariant;
  br?: StaticVariant;
}

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/**
 * Answers that are the same for every caller (`/v1/models`, `/v1/engines`, `/openapi.json`), kept
 * serialised with a strong ETag so the gateway serves them without a NATS hop, a serialisation or a
 * guard, and answers `If-None-Match` with 304. Each answer is compressed once when it changes (gzip at
 * level 9, brotli at quality 11, in the thread pool) and kept in every coding that is smaller than the
 * JSON itself; each representation has its own strong ETag, a hash of its own bytes (RFC 9110 8.8.3:
 * content codings are distinct representations; hashing the bytes, not the JSON, keeps the tag exact
 * even across replicas whose zlib differs). Replacing an answer with an equal body keeps it as it is,
 * so clients revalidating across refreshes keep getting 304s. A new body is published once all its
 * representations are ready, all at once; until then the previous answer is served.
 */
export class StaticAnswers {
  private readonly answers = new Map<string, StaticAnswer>();
  /** The last `set` per route: an older one that finishes compressing later is not published. */
  private readonly latest = new Map<string, number>();
  private sequence = 0;

  /** Stores `value` under `route` (resolves once published); true when the body changed. */
  async set(route: string, value: unknown, cacheControl: string): Promise<boolean> {
    const body = JSON.stringify(value);
    const prev = this.answers.get(route);
    const mine = ++this.sequence;
    this.latest.set(route, mine);
    if (prev && prev.body === body && prev.cacheControl === cacheControl) return false;
    const answer = await prepare(body, cacheControl);
    if (this.latest.get(route) !== mine) return false;
    this.answers.set(route, answer);
    return true;
  }

  get(route: string): StaticAnswer | undefined {
    return this.answers.get(route);
  }
}

async function prepare(body: string, cacheControl: string): Promise<StaticAnswer> {
  const identity = Buffer.from(body, 'utf8');
  const [gz, br] = await Promise.all([
    gzipAsync(identity, { level: zlib.Z_BEST_COMPRESSION }),
    brotliAsync(identity, { params: { [zlib.BROTLI_PARAM_QUALITY]: zlib.BROTLI_MAX_QUALITY, [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT, [zlib.BROTLI_PARAM_SIZE_HINT]: identity.length } }),
  ]);
  const id = variant('identity', identity, cacheControl);
  return {
    body,
    etag: id.etag,
    cacheControl,
    identity: id,
    ...(gz.length < identity.length ? { gzip: variant('gzip', gz, cacheControl) } : {}),
    ...(br.length < identity.length ? { br: variant('br', br, cacheControl) } : {}),
  };
}

function variant(coding: ContentCoding, body: Buffer, cacheControl: string): StaticVariant {
  const etag = coding === 'identity' ? etagOf(body) : etagOf(body, coding);
  const cache = ['ETag', etag, 'Cache-Control', cacheControl, 'Vary', 'Accept-Encoding'];
  return {
    coding,
    body,
    etag,
    headers: ['Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(body.length), ...(coding === 'identity' ? [] : ['Content-Encoding', coding]), ...cache],
    notModifiedHeaders: cache,
  };
}

/** A strong ETag: a hash of the representation's bytes, suffixed with its content coding if any. */
export function etagOf(body: string | Buffer, coding?: Exclude<ContentCoding, 'identity'>): string {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 27);
  return coding ? `"${hash}-${coding}"` : `"${hash}"`;
}

/** RFC 9110 If-None-Match (weak comparison): `*`, or a list naming the current ETag. */
export function notModified(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const header = Array.isArray(ifNoneMatch) ? ifNoneMatch.join(',') : ifNoneMatch;
  if (header === etag) return true;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag.replace(/^W\//, '') === opaque;
  });
}

/**
 * The representation of `answer` to send for an `Accept-Encoding` header (RFC 9110 12.5.3): the
 * acceptable coding with the highest q-value among those kept, brotli before gzip before identity on
 * equal q; identity when the header is absent or nothing kept is acceptable (we do not answer 406).
 */
export function variantFor(answer: StaticAnswer, acceptEncoding: string | string[] | undefined): StaticVariant {
  if (!acceptEncoding || (!answer.gzip && !answer.br)) return answer.identity;
  for (const coding of preferences(Array.isArray(acceptEncoding) ? acceptEncoding.join(',') : acceptEncoding)) {
    const v = answer[coding];
    if (v) return v;
  }
  return answer.identity;
}

/** Parsed Accept-Encoding headers: clients send a handful of distinct values, so each is parsed once. */
const parsed = new Map<string, readonly ContentCoding[]>();
const PARSED_MAX = 256;

/** The codings an Accept-Encoding header accepts, best first. */
export function preferences(header: string): readonly ContentCoding[] {
  const known = parsed.get(header);
  if (known) return known;
  const q: Partial<Record<string, number>> = {};
  for (const part of header.split(',')) {
    const [name, ...params] = part.split(';');
    const coding = name.trim().toLowerCase();
    if (!coding) continue;
    let weight = 1;
    for (const p of params) {
      const m = /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p);
      if (m) weight = Math.min(1, Number(m[1]) || 0);
    }
    q[coding] = Math.max(q[coding] ?? 0, weight);
  }
  const star = q['*'];
  const weightOf = (c: ContentCoding): number => {
    if (c === 'gzip') return q.gzip ?? q['x-gzip'] ?? star ?? 0;
    if (c === 'br') return q.br ?? star ?? 0;
    // Identity is acceptable unless excluded (identity;q=0, or *;q=0 without an identity entry); unnamed, it comes last.
    return q.identity ?? (star === 0 ? 0 : 0.001);
  };
  const order: ContentCoding[] = ['br', 'gzip', 'identity'];
  const result = order.filter((c) => weightOf(c) > 0).sort((a, b) => weightOf(b) - weightOf(a) || order.indexOf(a) - order.indexOf(b));
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(header, result);
  return result;
}
