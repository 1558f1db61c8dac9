import { ArgumentsHost, Catch, ExceptionFilter, NotFoundException, Optional } from '@nestjs/common';
import { ApiError, errorBodyFor, normalizeError } from './api-error';
import type { AllowedMethods } from './allowed-methods';

/**
 * Renders every failure of a gateway route in its public shape: `{error: {code, message, details?}}`,
 * or OpenAI's `{error: {message, type, param, code}}` under /v1/responses. Never leaks internals.
 * A request no route took whose path the API has under other methods is a 405 with `Allow` (an
 * OPTIONS request: 204 with `Allow`), not a 404.
 */
@Catch()
export class GatewayExceptionFilter implements ExceptionFilter {
  /** Given to the global instance only (http-setup.ts): routes' own instances see matched routes. */
  constructor(@Optional() private readonly allowed?: AllowedMethods) {}

  catch(exception: unknown, host: ArgumentsHost) {
    if (host.getType() !== 'http') throw exception;
    const req = host.switchToHttp().getRequest<{ url?: string; method?: string }>();
    const reply = host.switchToHttp().getResponse<any>();
    if (reply.sent) return;
    const wrongMethod = this.wrongMethod(exception, req);
    if (wrongMethod?.options) return reply.status(204).header('Allow', wrongMethod.allow).send();
    const e = normalizeError(wrongMethod?.error ?? exception);
    if (e.retryAfterSeconds !== undefined) reply.header('Retry-After', e.retryAfterSeconds);
    if (wrongMethod) reply.header('Allow', wrongMethod.allow);
    reply.status(e.status).send(errorBodyFor(req.url, e));
  }

  /** No route took it (Nest's "Cannot METHOD /path"), yet the path is the API's under other methods. */
  private wrongMethod(exception: unknown, req: { url?: string; method?: string }): { allow: string; options: boolean; error: ApiError } | undefined {
    if (!this.allowed || !(exception instanceof NotFoundException) || !exception.message.startsWith('Cannot ')) return undefined;
    const path = (req.url ?? '').split('?')[0];
    const methods = this.allowed.for(path);
    if (!methods.length) return undefined;
    const allow = methods.join(', ');
    const method = req.method ?? 'GET';
    return { allow, options: method === 'OPTIONS', error: new ApiError('METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}: use ${allow}.`) };
  }
}
