import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import { DATA_URI_MAX_BYTES, ErrorCode } from '@pipevideo/contracts';
import { ApiError } from './api-error';

/** A file part of a multipart body, held in memory (small by construction: see the limits). */
export class UploadedFile {
  constructor(
    readonly filename: string,
    readonly contentType: string,
    readonly data: Buffer,
  ) {}

  /** What an Idempotency-Key fingerprint sees: the file's bytes as base64, not a Buffer's JSON. */
  toJSON() {
    return { filename: this.filename, content_type: this.contentType, base64: this.data.toString('base64') };
  }
}

/** Fields of a multipart body by name; a name sent twice keeps its last value. */
export type MultipartBody = Record<string, string | UploadedFile>;

const tooLarge = (message: string) => new ApiError(ErrorCode.PAYLOAD_TOO_LARGE, message);
/** Longest a refused upload is read on before its error is answered (a client that never stops sending gets it then). */
const DRAIN_MS = 2000;
const malformed = (message: string) => new ApiError(ErrorCode.BAD_REQUEST, message);

/**
 * Paths that accept `multipart/form-data` (OpenAI's SDK always uploads `POST /v1/videos` that way).
 * Every other route answers 415, as before: their bodies are JSON.
 */
const MULTIPART_ROUTES = [/^\/v1\/videos\/?(\?.*)?$/];

/**
 * Fastify content-type parser for `multipart/form-data` (busboy): at most one file of at most
 * DATA_URI_MAX_BYTES (it becomes a data URI inside a NATS message) and `maxBytes` in all, else a 413
 * that says what to do; anything else malformed is a 400.
 */
export function multipartParser(maxBytes: number) {
  return (req: { url?: string; raw: IncomingMessage; headers: Record<string, unknown> }, payload: NodeJS.ReadableStream, done: (err: Error | null, body?: unknown) => void) => {
    if (!MULTIPART_ROUTES.some((r) => r.test(req.url ?? ''))) return done(new ApiError('UNSUPPORTED_MEDIA_TYPE', "multipart/form-data is only accepted by POST /v1/videos. Send this body as JSON with 'Content-Type: application/json'."));
    let finished = false;
    let bb: busboy.Busboy | undefined;
    const finish = (err: Error | null, body?: MultipartBody) => {
      if (finished) return;
      finished = true;
      if (!err || !bb) return done(err, body);
      // Stop parsing; read and drop what the client still sends, and answer once it has sent it all
      // (at most DRAIN_MS later): an HTTP/1.1 client still uploading when the answer arrives may see
      // the connection reset instead of the 413 (the openai SDK then reports a connection error).
      payload.unpipe(bb);
      let answered = false;
      const answer = () => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        done(err);
      };
      const timer = setTimeout(answer, DRAIN_MS);
      timer.unref();
      if ((payload as { readableEnded?: boolean }).readableEnded) return answer();
      payload.once('end', answer);
      payload.once('close', answer);
      payload.once('error', answer);
      payload.resume();
    };
    try {
      bb = busboy({ headers: req.headers as busboy.BusboyConfig["headers"], limits: { files: 1, fields: 32, parts: 33, fileSize: DATA_URI_MAX_BYTES, fieldSize: maxBytes } });
    } catch (err) {
      return finish(malformed(`Malformed multipart body: ${(err as Error).message}`));
    }
    const body: MultipartBody = {};
    let total = 0;
    payload.on('data', (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) finish(tooLarge(`Request body is larger than ${Math.floor(maxBytes / 1024)} KiB. Upload input_reference files of at most ${DATA_URI_MAX_BYTES / 1024} KiB, or pass an https URL.`));
    });
    bb.on('field', (name, value, info) => {
      if (info.valueTruncated) return finish(tooLarge(`Field ${name.slice(0, 64)} is too large`));
      body[name] = value;
    });
    bb.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () =>
        finish(tooLarge(`${name.slice(0, 64)} is larger than ${DATA_URI_MAX_BYTES / 1024} KiB: upload a smaller image, or host it and pass its https URL (input_reference[image_url])`)),
      );
      stream.on('close', () => {
        if (!finished) body[name] = new UploadedFile(info.filename ?? 'upload', info.mimeType, Buffer.concat(chunks));
      });
    });
    bb.on('filesLimit', () => finish(malformed('Send at most one file (input_reference)')));
    bb.on('fieldsLimit', () => finish(malformed('Too many form fields')));
    bb.on('partsLimit', () => finish(malformed('Too many form parts')));
    bb.on('error', (err: Error) => finish(malformed(`Malformed multipart body: ${err.message}`)));
    bb.on('close', () => finish(null, body));
    payload.pipe(bb);
  };
}
