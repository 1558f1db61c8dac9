import { Readable } from 'node:stream';
import { ErrorCode } from '@pipevideo/contracts';
import { ApiError } from '../errors/api-error';

/** An output file being streamed to the customer. */
export interface VideoFile {
  body: Readable;
  contentType: string;
  contentLength?: number;
}

/**
 * Where a finished video's file is read from. Today outputs live at the provider's URL and
 * `ProviderUrlContent` streams them through; our own storage (when it exists) is another
 * implementation of this one method, and `GET /v1/videos/{id}/content` does not change.
 */
export interface VideoContentSource {
  open(video: { id: string; outputUrl: string }): Promise<VideoFile>;
}

/** How long the provider's file server may take to start answering (the body then streams as long as it takes). */
const FIRST_BYTE_TIMEOUT_MS = 15_000;

/** Streams the file from the provider's output URL (http/https only), without buffering it. */
export class ProviderUrlContent implements VideoContentSource {
  constructor(private readonly fetchFn: typeof fetch = fetch) {}

  async open(video: { id: string; outputUrl: string }): Promise<VideoFile> {
    let url: URL;
    try {
      url = new URL(video.outputUrl);
    } catch {
      throw gone(video.id);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw gone(video.id);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), FIRST_BYTE_TIMEOUT_MS);
    let res: Response;
    try {
      res = await this.fetchFn(url, { signal: ac.signal, redirect: 'follow' });
    } catch {
      throw unreachable(video.id);
    } finally {
      clearTimeout(timer);
    }
    if (res.status === 404 || res.status === 403 || res.status === 410) {
      await res.body?.cancel().catch(() => undefined);
      throw gone(video.id);
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw unreachable(video.id);
    }
    const length = Number(res.headers.get('content-length'));
    return {
      body: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
      contentType: res.headers.get('content-type')?.split(';')[0] || 'video/mp4',
      ...(Number.isSafeInteger(length) && length >= 0 ? { contentLength: length } : {}),
    };
  }
}

const gone = (id: string) =>
  new ApiError(ErrorCode.NOT_FOUND, `The file of video ${id} is no longer available: provider links expire about a day after completion. Generate it again.`, { openaiCode: 'video_content_expired' });
const unreachable = (id: string) =>
  new ApiError(ErrorCode.SERVICE_UNAVAILABLE, `The file of video ${id} could not be fetched from where it is stored right now. Retry shortly.`);
