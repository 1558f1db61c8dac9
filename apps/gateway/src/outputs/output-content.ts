import { ErrorCode, type OutputLocation, type StoredFileRef } from '@pipevideo/contracts';
import { outputExpired, parseRange, type ObjectStorage, type OutputLinks } from '@pipevideo/platform';
import { ApiError } from '../errors/api-error';
import type { VideoContentSource } from '../videos/video-content';
import type { OutputMetrics } from './output-metrics';

/** The reply surface we need (Fastify's reply, through Nest's @Res()). */
export interface StreamReply {
  header(k: string, v: string | number): StreamReply;
  status(code: number): StreamReply;
  send(body: unknown): unknown;
}

export type Headers = Record<string, string | string[] | undefined>;

/** What the customer asked for and how to word the answers. */
export interface ContentRequest {
  endpoint: 'generations' | 'responses' | 'videos';
  kind: 'output' | 'artifact';
  /** `link`: JSON with a fresh signed link; `file`: the bytes (Range supported). */
  as: 'file' | 'link';
  /** "Generation gen_…", "Response gen_…", "Video gen_…" */
  noun: string;
  /** Where the customer polls it. */
  pollPath: string;
  openaiCodes?: boolean;
}

/** The JSON answer of `…/content?link=true`. */
export interface OutputLinkView {
  object: 'output_link';
  url: string;
  expires_at: number;
  content_type: string;
  bytes: number;
  sha256: string;
  duration_seconds: number | null;
  retained_until: number;
}

/**
 * Serves a generation's stored output: a fresh signed link, or the file itself streamed from
 * storage with HTTP Range support (206 / 416) so video players can seek. A file past its retention
 * is a 410 that says so; a generation not completed is a 409 that says what to do.
 */
export class OutputContent {
  constructor(
    private readonly storage: ObjectStorage,
    private readonly links: OutputLinks,
    private readonly legacy: VideoContentSource,
    private readonly metrics: OutputMetrics,
  ) {}

  async serve(loc: OutputLocation, req: ContentRequest, headers: Headers, reply: StreamReply): Promise<unknown> {
    const count = (outcome: string) => this.metrics.content.inc({ endpoint: req.endpoint, outcome });
    if (loc.status !== 'completed') {
      count('not_ready');
      const failed = loc.status === 'failed' || loc.status === 'cancelled' || loc.status === 'incomplete';
      throw new ApiError(
        ErrorCode.CONFLICT,
        failed
          ? `${req.noun} ${loc.status === 'cancelled' ? 'was cancelled' : 'did not complete'}: it has no content. GET ${req.pollPath} says why.`
          : `${req.noun} is not completed yet. Wait for status completed (GET ${req.pollPath}), then ask again.`,
        req.openaiCodes ? { openaiCode: failed ? 'video_failed' : 'video_not_ready' } : {},
      );
    }
    const file = req.kind === 'artifact' ? loc.artifact : loc.output;
    if (!file) {
      if (req.kind === 'output' && loc.legacyOutputUrl && req.as === 'file') return this.streamLegacy(loc, req, reply);
      count('not_ready');
      throw new ApiError(ErrorCode.NOT_FOUND, `${req.noun} has no ${req.kind === 'artifact' ? 'artifact (only the lottie engine makes one)' : 'stored file'}.`);
    }
    if (outputExpired(file)) {
      count('expired');
      throw gone(req, file);
    }
    if (req.as === 'link') {
      const link = await this.links.link(file, req.kind);
      if (!link) {
        count('expired');
        throw gone(req, file);
      }
      count('link');
      this.metrics.linksServed.inc({ endpoint: req.endpoint });
      const view: OutputLinkView = {
        object: 'output_link',
        url: link.url,
        expires_at: Math.floor(link.expiresAt.getTime() / 1000),
        content_type: file.contentType,
        bytes: file.bytes,
        sha256: file.sha256,
        duration_seconds: file.durationSeconds,
        retained_until: Math.floor(new Date(file.retainedUntil).getTime() / 1000),
      };
      return reply.status(200).header('Cache-Control', 'no-store').send(view);
    }
    return this.streamStored(file, req.endpoint, headers, reply, `${loc.id}${req.kind === 'artifact' ? '.lottie.json' : file.contentType === 'video/webm' ? '.webm' : '.mp4'}`);
  }

  /** Streams a stored object (whole or one byte range). Used by …/content and by the disk driver's signed links. */
  async streamStored(file: Pick<StoredFileRef, 'key' | 'bytes' | 'contentType'> & { sha256?: string }, endpoint: string, headers: Headers, reply: StreamReply, filename: string): Promise<unknown> {
    const count = (outcome: string) => this.metrics.content.inc({ endpoint, outcome });
    const rangeHeader = typeof headers.range === 'string' ? headers.range : undefined;
    const range = parseRange(rangeHeader, file.bytes);
    if (range === 'unsatisfiable') {
      count('bad_range');
      reply.header('Content-Range', `bytes */${file.bytes}`);
      throw new ApiError('RANGE_NOT_SATISFIABLE', `Range ${rangeHeader} is outside the file (${file.bytes} bytes). Ask for bytes 0-${Math.max(0, file.bytes - 1)}.`);
    }
    const obj = await this.storage.get(file.key, range).catch(() => undefined);
    if (!obj) {
      count('unavailable');
      throw new ApiError(
        obj === null ? ErrorCode.GONE : ErrorCode.SERVICE_UNAVAILABLE,
        obj === null ? 'The file is no longer stored: its retention ended. Generate it again.' : 'The file could not be read from storage right now. Retry shortly.',
      );
    }
    obj.body.on('data', (chunk: Buffer) => this.metrics.bytesServed.inc(chunk.length));
    reply
      .header('Content-Type', file.contentType)
      .header('Accept-Ranges', 'bytes')
      .header('Content-Disposition', `inline; filename="${filename}"`)
      .header('Cache-Control', 'private, max-age=300');
    if (file.sha256) reply.header('ETag', `"${file.sha256}"`);
    if (range) {
      count('partial');
      return reply
        .status(206)
        .header('Content-Range', `bytes ${range.start}-${range.end}/${obj.bytes}`)
        .header('Content-Length', range.end - range.start + 1)
        .send(obj.body);
    }
    count('streamed');
    return reply.status(200).header('Content-Length', obj.bytes).send(obj.body);
  }

  /** A generation completed before outputs were stored: its provider URL, streamed through as before (no Range). */
  private async streamLegacy(loc: OutputLocation, req: ContentRequest, reply: StreamReply): Promise<unknown> {
    let file;
    try {
      file = await this.legacy.open({ id: loc.id, outputUrl: loc.legacyOutputUrl! });
    } catch (err) {
      this.metrics.content.inc({ endpoint: req.endpoint, outcome: err instanceof ApiError && err.code === ErrorCode.NOT_FOUND ? 'expired' : 'unavailable' });
      throw err;
    }
    this.metrics.content.inc({ endpoint: req.endpoint, outcome: 'streamed' });
    file.body.on('data', (chunk: Buffer) => this.metrics.bytesServed.inc(chunk.length));
    reply.header('Content-Type', file.contentType).header('Content-Disposition', `attachment; filename="${loc.id}.mp4"`);
    if (file.contentLength !== undefined) reply.header('Content-Length', file.contentLength);
    return reply.status(200).send(file.body);
  }
}

function gone(req: ContentRequest, file: StoredFileRef): ApiError {
  const when = new Date(file.retainedUntil).toISOString();
  return new ApiError(
    ErrorCode.GONE,
    `The file of ${req.noun} was deleted at the end of its retention (${when}); outputs are kept for a limited time after completion. Generate it again.`,
    req.openaiCodes ? { openaiCode: 'video_content_expired' } : {},
  );
}
