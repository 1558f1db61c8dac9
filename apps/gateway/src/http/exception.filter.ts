import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { errorBodyFor, normalizeError } from './api-error';

/**
 * Renders every failure of a gateway route in its public shape: `{error: {code, message, details?}}`,
 * or OpenAI's `{error: {message, type, param, code}}` under /v1/responses. Never leaks internals.
 */
@Catch()
export class GatewayExceptionFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType() !== 'http') throw exception;
    const req = host.switchToHttp().getRequest<{ url?: string }>();
    const reply = host.switchToHttp().getResponse<any>();
    const e = normalizeError(exception);
    if (e.retryAfterSeconds !== undefined) reply.header('Retry-After', e.retryAfterSeconds);
    if (reply.sent) return;
    reply.status(e.status).send(errorBodyFor(req.url, e));
  }
}
