import { applyDecorators, CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { from, Observable, of } from 'rxjs';
import { mergeMap } from 'rxjs/operators';
import { ErrorCode } from '@pipevideo/contracts';
import { ApiError } from '../http/api-error';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';
import { IDEMPOTENCY_KEY_PATTERN, requestHash } from './idempotency.store';

/**
 * `Idempotency-Key` on creating POSTs: the first answer (status + body) is stored and replayed for
 * the same key and body within the TTL; another body under the same key is refused with 409; a
 * duplicate arriving while the first is still running gets 409 too (retry it). Failed requests do
 * not keep the key, so they can be retried with it — safely, because creates also pass the key on to
 * the router (forwardedIdempotencyKey): a create that timed out here but went through there is found
 * again, not made twice.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<any>();
    const reply = ctx.switchToHttp().getResponse<any>();
    const header = req.headers['idempotency-key'];
    if (header === undefined) return next.handle();
    if (typeof header !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(header))
      throw new ApiError(ErrorCode.BAD_REQUEST, 'Idempotency-Key must be 1–255 printable ASCII characters (a UUID is a good choice)', { param: 'Idempotency-Key' });
    const scope = req.principal?.orgId ?? 'operator';
    const route = req.routeOptions?.url ?? req.url;
    const hash = requestHash({ method: req.method, route, params: req.params ?? {}, body: req.body ?? null });
    const store = this.rt.idempotency;

    return from(store.begin(scope, header, hash)).pipe(
      mergeMap((b) => {
        if (b.kind === 'replay') {
          this.rt.metrics.idempotentReplays.inc();
          reply.header('Idempotent-Replayed', 'true');
          reply.status(b.statusCode);
          return of(b.body);
        }
        if (b.kind === 'mismatch')
          throw new ApiError(ErrorCode.CONFLICT, 'This Idempotency-Key was already used with a different request. Use a new key for a different request.', { param: 'Idempotency-Key' });
        if (b.kind === 'in_progress')
          throw new ApiError(ErrorCode.CONFLICT, 'A request with this Idempotency-Key is still being processed. Retry in a moment to get its result.', { param: 'Idempotency-Key' });
        return new Observable<unknown>((sub) => {
          const inner = next.handle().subscribe({
            next: (value) => {
              const status = reply.statusCode && reply.statusCode !== 200 ? reply.statusCode : req.method === 'POST' ? 201 : 200;
              store.complete(scope, header, statusFor(ctx, status), value).then(
                () => {
                  sub.next(value);
                  sub.complete();
                },
                (err) => sub.error(err),
              );
            },
            error: (err) => {
              store.abandon(scope, header).finally(() => sub.error(err));
            },
          });
          return () => inner.unsubscribe();
        });
      }),
    );
  }
}

/**
 * The request's Idempotency-Key, passed on to the service that creates (the interceptor has checked
 * its shape): when the gateway lost the first answer (a timeout, a crash) and a retry runs again, the
 * router answers the generation the first call created instead of making a second one.
 */
export function forwardedIdempotencyKey(headers: Record<string, string | string[] | undefined>): { idempotencyKey?: string } {
  const key = headers['idempotency-key'];
  return typeof key === 'string' && IDEMPOTENCY_KEY_PATTERN.test(key) ? { idempotencyKey: key } : {};
}

/** The status Nest will answer with: @HttpCode if set, else 201 for POST. */
function statusFor(ctx: ExecutionContext, fallback: number): number {
  const code = Reflect.getMetadata('__httpCode__', ctx.getHandler());
  return typeof code === 'number' ? code : fallback;
}

export const Idempotent = () =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Replays the first answer for the same key and body within 24 h; another body under the same key → 409.' }),
  );
