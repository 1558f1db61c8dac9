import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { PipevideoClient } from './client';

/** @pipevideo/sdk in Node: everything of the browser entry, and `download(id, path)`. */
export class Pipevideo extends PipevideoClient {
  /**
   * Streams a finished video's file to `path` (through `path.part`, renamed when complete, so a broken
   * download never leaves a truncated file under the real name). Resolves with the bytes written.
   */
  async download(id: string, path: string, opts: { signal?: AbortSignal; onBytes?: (bytes: number) => void } = {}): Promise<{ path: string; bytes: number }> {
    const res = await this.content(id, opts);
    if (!res.body) throw new Error(`GET /v1/videos/${id}/content answered without a body`);
    const part = `${path}.part`;
    let bytes = 0;
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        opts.onBytes?.(bytes);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream), count, createWriteStream(part, { mode: 0o644 }), { signal: opts.signal });
      await rename(part, path);
    } catch (err) {
      await rm(part, { force: true });
      throw err;
    }
    return { path, bytes };
  }
}

export { PipevideoClient, DEFAULT_BASE_URL } from './client';
export type {
  Balance, CreateKey, CreateVideoGeneration, CreateWebhook, GenerateOptions, GenerateProgress, Model, PipevideoOptions, VideoGeneration, VideoGenerationCreated,
  VideoGenerationList,
} from './client';
export * from './errors';
export { verifyWebhook, WebhookVerificationError } from './webhooks';
export type { GenerationCompletedData, WebhookEvent } from './webhooks';
export type { components, paths } from './generated/openapi';
