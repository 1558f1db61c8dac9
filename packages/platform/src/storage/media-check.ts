import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** What a stored file must be: a video (MP4 or WebM) or a Lottie animation (JSON). */
export type ExpectedMedia = 'video' | 'lottie';

/** What the check found once the whole file went through. */
export interface MediaFacts {
  bytes: number;
  sha256: string;
  container: 'mp4' | 'webm' | 'lottie';
  contentType: string;
  /** Seconds, from the MP4 `mvhd` box or the Lottie frames; null when the container does not say (WebM: not parsed). */
  durationSeconds: number | null;
}

/** The file is not what we store (too big, wrong container, no duration): the copy fails for good. */
export class MediaRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MediaRejected';
  }
}

/** A Lottie file is read whole to check it: they are small; one this big is not a Lottie we accept. */
const MAX_LOTTIE_BYTES = 50 * 1024 * 1024;
/** The `moov` box (the MP4's index) is kept to read its duration; a real one is far below this. */
const MAX_MOOV_BYTES = 64 * 1024 * 1024;
/** A video longer than this is not a generation output. */
const MAX_VIDEO_SECONDS = 3600;

/**
 * A pass-through stream that checks a file while it is copied, without buffering it: counts bytes
 * (fails past `maxBytes`), hashes SHA-256, recognises the container from the first bytes (MP4 `ftyp`,
 * WebM EBML, Lottie JSON), walks the MP4's top-level boxes to read the duration from `moov/mvhd`, and
 * parses a Lottie animation. `facts()` is valid after the stream ended; a bad file errors the stream.
 */
export class MediaCheck extends Transform {
  private bytes = 0;
  private readonly hash = createHash('sha256');
  private head = Buffer.alloc(0);
  private container?: MediaFacts['container'];
  private readonly mp4 = new Mp4Boxes();
  private lottie: Buffer[] = [];
  private done?: MediaFacts;

  constructor(
    private readonly expected: ExpectedMedia,
    private readonly maxBytes: number,
  ) {
    super();
  }

  facts(): MediaFacts {
    if (!this.done) throw new Error('media check read before the stream ended');
    return this.done;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.bytes += chunk.length;
      if (this.bytes > this.maxBytes) throw new MediaRejected(`the output is larger than ${this.maxBytes} bytes`);
      this.hash.update(chunk);
      if (!this.container) {
        this.head = Buffer.concat([this.head, chunk]);
        if (this.head.length < 12) return cb();
        this.container = sniff(this.head, this.expected);
        chunk = this.head;
        this.head = Buffer.alloc(0);
      }
      if (this.container === 'mp4') this.mp4.push(chunk);
      else if (this.container === 'lottie') {
        if (this.bytes > MAX_LOTTIE_BYTES) throw new MediaRejected(`the Lottie file is larger than ${MAX_LOTTIE_BYTES} bytes`);
        this.lottie.push(chunk);
      }
      cb(null, chunk);
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      if (!this.container) {
        this.container = sniff(this.head, this.expected);
        if (this.container === 'mp4') this.mp4.push(this.head);
        if (this.container === 'lottie') this.lottie.push(this.head);
        this.push(this.head);
      }
      let duration: number | null = null;
      if (this.container === 'mp4') {
        duration = this.mp4.durationSeconds();
        if (duration === null) throw new MediaRejected('the MP4 has no readable duration (no moov/mvhd box)');
      } else if (this.container === 'lottie') {
        duration = lottieDuration(Buffer.concat(this.lottie));
        this.lottie = [];
      }
      if (duration !== null && !(duration > 0 && duration <= MAX_VIDEO_SECONDS)) throw new MediaRejected(`the output's duration (${duration} s) is not between 0 and ${MAX_VIDEO_SECONDS} s`);
      const contentType = this.container === 'mp4' ? 'video/mp4' : this.container === 'webm' ? 'video/webm' : 'application/json';
      this.done = { bytes: this.bytes, sha256: this.hash.digest('hex'), container: this.container, contentType, durationSeconds: duration };
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

function sniff(head: Buffer, expected: ExpectedMedia): MediaFacts['container'] {
  if (expected === 'video') {
    if (head.length >= 8 && head.toString('latin1', 4, 8) === 'ftyp') return 'mp4';
    if (head.length >= 4 && head.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
    throw new MediaRejected('the output is not an MP4 or WebM video');
  }
  const text = head.toString('utf8').trimStart();
  if (text.startsWith('{')) return 'lottie';
  throw new MediaRejected('the artifact is not a Lottie (JSON) file');
}

function lottieDuration(raw: Buffer): number {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new MediaRejected('the Lottie artifact is not valid JSON');
  }
  const { fr, ip, op, w, h, layers } = o as { fr?: unknown; ip?: unknown; op?: unknown; w?: unknown; h?: unknown; layers?: unknown };
  if (typeof fr !== 'number' || typeof ip !== 'number' || typeof op !== 'number' || typeof w !== 'number' || typeof h !== 'number' || !Array.isArray(layers) || fr <= 0 || op <= ip) {
    throw new MediaRejected('the artifact is not a Lottie animation (needs fr > 0, ip < op, w, h and layers)');
  }
  return (op - ip) / fr;
}

/**
 * Walks an MP4's top-level boxes as bytes arrive: skips every box but `moov`, which is kept (it is
 * small) to read `mvhd`'s timescale and duration. Works whether `moov` comes before or after `mdat`.
 */
class Mp4Boxes {
  private header = Buffer.alloc(0);
  private skip = 0;
  private toEnd = false;
  private moov?: { parts: Buffer[]; left: number };
  private moovBody?: Buffer;

  push(chunk: Buffer): void {
    let i = 0;
    while (i < chunk.length && !this.toEnd) {
      if (this.moov) {
        const take = Math.min(this.moov.left, chunk.length - i);
        this.moov.parts.push(chunk.subarray(i, i + take));
        this.moov.left -= take;
        i += take;
        if (this.moov.left === 0) {
          this.moovBody = Buffer.concat(this.moov.parts);
          this.moov = undefined;
        }
        continue;
      }
      if (this.skip > 0) {
        const take = Math.min(this.skip, chunk.length - i);
        this.skip -= take;
        i += take;
        continue;
      }
      const need = this.header.length >= 8 && this.header.readUInt32BE(0) === 1 ? 16 : 8;
      const take = Math.min(need - this.header.length, chunk.length - i);
      this.header = Buffer.concat([this.header, chunk.subarray(i, i + take)]);
      i += take;
      if (this.header.length < 8) continue;
      const size32 = this.header.readUInt32BE(0);
      if (size32 === 1 && this.header.length < 16) continue;
      const type = this.header.toString('latin1', 4, 8);
      const headerLen = size32 === 1 ? 16 : 8;
      const size = size32 === 1 ? Number(this.header.readBigUInt64BE(8)) : size32;
      this.header = Buffer.alloc(0);
      if (size32 === 0) {
        this.toEnd = true; // the last box runs to the end of the file
        break;
      }
      if (size < headerLen) throw new MediaRejected('the MP4 has a malformed box');
      const body = size - headerLen;
      if (type === 'moov') {
        if (body > MAX_MOOV_BYTES) throw new MediaRejected('the MP4 index (moov) is unreasonably large');
        this.moov = { parts: [], left: body };
        if (body === 0) this.moov = undefined;
      } else this.skip = body;
    }
  }

  durationSeconds(): number | null {
    const m = this.moovBody;
    if (!m) return null;
    for (let at = 0; at + 8 <= m.length; ) {
      const size = m.readUInt32BE(at);
      const type = m.toString('latin1', at + 4, at + 8);
      if (size < 8) return null;
      if (type === 'mvhd') {
        const version = m[at + 8];
        const timescale = version === 1 ? m.readUInt32BE(at + 28) : m.readUInt32BE(at + 20);
        const duration = version === 1 ? Number(m.readBigUInt64BE(at + 32)) : m.readUInt32BE(at + 24);
        return timescale > 0 ? duration / timescale : null;
      }
      at += size;
    }
    return null;
  }
}
