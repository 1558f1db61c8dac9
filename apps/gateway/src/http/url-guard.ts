import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ErrorCode } from '@pipevideo/contracts';
import { errorBodyFor, NormalizedError } from './api-error';

/** Fastify's router refuses longer path parameters (414 in its own shape); no id of ours comes close. */
export const MAX_PATH_SEGMENT_LENGTH = 100;

/** Why a request path cannot be routed, or null when it is fine. */
export function urlProblem(url: string | undefined): NormalizedError | null {
  const path = (url ?? '/').split('?')[0];
  try {
    decodeURIComponent(path);
  } catch {
    return { status: 400, code: ErrorCode.BAD_REQUEST, message: 'Malformed URL: invalid percent-encoding in the path' };
  }
  if (path.split('/').some((s) => s.length > MAX_PATH_SEGMENT_LENGTH)) return { status: 404, code: ErrorCode.NOT_FOUND, message: 'Not found: a path segment is too long to be an id' };
  return null;
}

/**
 * Fastify answers undecodable URLs and over-long path parameters itself, before any hook, in its
 * own error shape (the platform builds the Fastify instance, so its `frameworkErrors` option is out
 * of our reach). This wraps the HTTP server's request listener to answer those in ours.
 */
export function installUrlGuard(server: Server): void {
  const listeners = server.listeners('request') as Array<(req: IncomingMessage, res: ServerResponse) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const problem = urlProblem(req.url);
    if (!problem) {
      for (const l of listeners) l.call(server, req, res);
      return;
    }
    const body = JSON.stringify(errorBodyFor(req.url, problem));
    res.writeHead(problem.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-correlation-id': randomUUID() });
    res.end(body);
  });
}
