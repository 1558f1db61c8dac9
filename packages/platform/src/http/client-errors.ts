import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** What a person can do about each way Node's HTTP parser refuses a request (llhttp error codes). */
const MESSAGES: Record<string, string> = {
  HPE_INVALID_METHOD: 'The HTTP method is not one this API knows (use GET, POST, PATCH, PUT or DELETE).',
  HPE_INVALID_HEADER_TOKEN: 'A header name holds a character HTTP does not allow.',
  HPE_INVALID_HEADER_VALUE: 'A header value holds a character HTTP does not allow (control characters, a bare line break).',
  HPE_INVALID_CONTENT_LENGTH: 'Content-Length is not a valid number of bytes.',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'The request sends both Content-Length and Transfer-Encoding; send one.',
  HPE_INVALID_TRANSFER_ENCODING: 'Transfer-Encoding is not one HTTP/1.1 allows here (use chunked, or Content-Length).',
  HPE_INVALID_URL: 'The request target is not a valid URL path.',
  HPE_INVALID_VERSION: 'The HTTP version is not one this server speaks (use HTTP/1.1).',
  HPE_HEADER_OVERFLOW: 'The request headers are too large (16 KB in all at most).',
  ERR_HTTP_REQUEST_TIMEOUT: 'The request took too long to arrive; send it again.',
};

/**
 * Answers a request Node's HTTP parser refused before any route could run (Fastify's
 * `clientErrorHandler`), in the API's error shape `{error: {code, message}}` instead of Fastify's
 * `{error, message, statusCode}`: 400 with what was wrong, 431 for oversized headers, 408 for a request
 * that never finished arriving. The connection is closed afterwards (the parser cannot resync).
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const code = status === 431 ? 'REQUEST_HEADER_FIELDS_TOO_LARGE' : status === 408 ? 'REQUEST_TIMEOUT' : 'BAD_REQUEST';
  const message = (err.code && MESSAGES[err.code]) || 'The HTTP request could not be parsed.';
  const body = JSON.stringify({ error: { code, message } });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}
