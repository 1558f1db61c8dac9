import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { StoredFileRef } from '@pipevideo/contracts';
import { checkOutboundUrl, MediaCheck, MediaRejected, type ExpectedMedia, type ObjectStorage } from '@pipevideo/platform';
import { stallGuard } from './stall-guard';

export interface CopierSettings {
  maxBytes: number;
  retentionSeconds: number;
  /**
   * How long the provider's file server may take to start answering, and then go silent mid-body: a
   * copy that stalls is aborted (and retried later) instead of holding the poller's tick forever.
   */
  firstByteTimeoutMs: number;
  /** Tests and embedded mode fetch from sandboxes on 127.0.0.1 over http. */
  allowPrivateUrls: boolean;
  /**
   * Origins of the configured providers' APIs: a file served from a provider's own host is trusted like
   * its API (a private sandbox host in compose); any other URL must be public https (the SSRF guard).
   */
  trustedOrigins?: string[];
}

/** A copy that can never succeed (bad file, refused URL): not retried. */
export class PermanentCopyFailure extends Error {}

/** What was copied for one job. */
export interface CopiedOutputs {
  output: StoredFileRef | null;
  artifact: StoredFileRef | null;
}

/**
 * Copies a finished job's output (and artifact) from the provider into our object storage:
 * streamed through a MediaCheck (size cap, SHA-256, container and duration), never buffered.
 * Inline outputs (`data:` URIs, the Vercel AI Gateway's base64 videos) are decoded and stored the same way.
 * Keys are `outputs/<generation>/<attempt>/video.<ext>` and `.../artifact.json`: a retried copy
 * writes the same keys, so nothing is stored twice.
 */
export class OutputCopier {
  constructor(
    private readonly storage: ObjectStorage,
    private readonly s: CopierSettings,
  ) {}

  async copy(job: { generation_id: string; attempt: number; output_url: string | null; artifact_url: string | null }): Promise<CopiedOutputs> {
    const base = `outputs/${job.generation_id.replace(/[^A-Za-z0-9_-]/g, '_')}/${job.attempt}`;
    const output = job.output_url ? await this.copyOne(job.output_url, `${base}/video`, 'video') : null;
    if (!output) throw new PermanentCopyFailure('the provider reported success without an output');
    const artifact = job.artifact_url ? await this.copyOne(job.artifact_url, `${base}/artifact`, 'lottie') : null;
    return { output, artifact };
  }

  private async copyOne(source: string, keyBase: string, expected: ExpectedMedia): Promise<StoredFileRef> {
    const { body, declaredType } = await this.open(source);
    // The key's extension follows the container, which is known from the first bytes: peek them.
    const { head, rest } = await peek(body, 12);
    const ext = expected === 'lottie' ? 'json' : head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3 ? 'webm' : 'mp4';
    const key = `${keyBase}.${ext}`;
    const check = new MediaCheck(expected, this.s.maxBytes);
    const piped = pipeline(rest, check);
    const contentType = ext === 'json' ? 'application/json' : `video/${ext}`;
    try {
      await Promise.all([this.storage.put(key, check, contentType), piped]);
    } catch (err) {
      // The download stops with the copy (it would otherwise hold its socket until the server gives up).
      body.destroy();
      await this.storage.delete(key).catch(() => undefined);
      if (err instanceof MediaRejected) throw new PermanentCopyFailure(`${err.message} (declared ${declaredType ?? 'no content type'})`);
      throw err;
    }
    const facts = check.facts();
    return {
      key,
      bytes: facts.bytes,
      sha256: facts.sha256,
      contentType: facts.contentType,
      durationSeconds: facts.durationSeconds,
      retainedUntil: new Date(Date.now() + this.s.retentionSeconds * 1000).toISOString(),
    };
  }

  private async open(source: string): Promise<{ body: Readable; declaredType?: string }> {
    if (source.startsWith('data:')) {
      const m = /^data:([^;,]*)(;base64)?,/.exec(source.slice(0, 200));
      if (!m || !m[2]) throw new PermanentCopyFailure('an inline output must be a base64 data: URI');
      const encoded = source.slice(m[0].length);
      if (Math.floor((encoded.length * 3) / 4) > this.s.maxBytes + 3) throw new PermanentCopyFailure(`the output is larger than ${this.s.maxBytes} bytes`);
      return { body: Readable.from([Buffer.from(encoded, 'base64')]), declaredType: m[1] || undefined };
    }
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error(`the provider's file server did not answer within ${this.s.firstByteTimeoutMs} ms`)), this.s.firstByteTimeoutMs);
    let res: Response;
    try {
      res = await this.fetchChecked(source, ac.signal);
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      const msg = `the provider's file answered HTTP ${res.status}`;
      // 404/410: the file is gone (retrying cannot bring it back); anything else may pass.
      if (res.status === 404 || res.status === 410) throw new PermanentCopyFailure(msg);
      throw new Error(msg);
    }
    const length = Number(res.headers.get('content-length'));
    if (Number.isFinite(length) && length > this.s.maxBytes) {
      await res.body.cancel().catch(() => undefined);
      throw new PermanentCopyFailure(`the output is larger than ${this.s.maxBytes} bytes (${length} declared)`);
    }
    // A server that sends its headers and then nothing more would hold this copy, and the poller's tick
    // waiting for it, forever: while the copy waits for the next chunk, it must come within the same
    // budget, or the fetch is aborted (the copy fails and is retried later).
    const watched = stallGuard(this.s.firstByteTimeoutMs, () => ac.abort(new Error(`the provider's file server sent nothing for ${this.s.firstByteTimeoutMs} ms mid-file`)));
    // Its errors (the abort included) reach the copy through `watched`, which pipeline destroys with them.
    pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), watched).catch(() => undefined);
    return { body: watched, declaredType: res.headers.get('content-type') ?? undefined };
  }

  /**
   * Fetches `source`, following at most MAX_REDIRECTS redirects by hand: every URL — the first and each
   * redirect's target — passes the SSRF guard unless its origin is a configured provider's. Following
   * them blindly would let a provider's answer (or a signed callback from an org's own account) point the
   * first request at a public host that redirects to a private one.
   */
  private async fetchChecked(source: string, signal: AbortSignal): Promise<Response> {
    let url = source;
    for (let hop = 0; ; hop++) {
      const trusted = this.s.trustedOrigins?.includes(originOf(url)) ?? false;
      const refused = trusted ? null : await checkOutboundUrl(url, { allowHttp: this.s.allowPrivateUrls, allowPrivate: this.s.allowPrivateUrls });
      if (refused) throw new PermanentCopyFailure(`the output URL ${hop ? `(after ${hop} redirect${hop > 1 ? 's' : ''}) ` : ''}${refused}`);
      const res = await fetch(url, { signal, redirect: 'manual' });
      const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
      if (!location) return res;
      await res.body?.cancel().catch(() => undefined);
      if (hop >= MAX_REDIRECTS) throw new PermanentCopyFailure(`the output URL redirects more than ${MAX_REDIRECTS} times`);
      try {
        url = new URL(location, url).toString();
      } catch {
        throw new PermanentCopyFailure('the output URL redirects to an invalid location');
      }
    }
  }
}

/** Redirects followed from a provider's output URL (each one checked). */
const MAX_REDIRECTS = 5;

/** Reads at least `n` bytes (or the whole stream if shorter) and gives them back with a stream of everything. */
async function peek(body: Readable, n: number): Promise<{ head: Buffer; rest: Readable }> {
  const it = body[Symbol.asyncIterator]();
  const taken: Buffer[] = [];
  let len = 0;
  let ended = false;
  while (len < n) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value as Uint8Array);
    taken.push(b);
    len += b.length;
  }
  const head = Buffer.concat(taken);
  const rest = Readable.from(
    (async function* () {
      if (head.length) yield head;
      if (ended) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value as Buffer;
      }
    })(),
  );
  return { head, rest };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}
