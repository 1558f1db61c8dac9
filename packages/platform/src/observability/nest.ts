import {
  ArgumentsHost, CallHandler, Catch, Controller, ExceptionFilter, ExecutionContext, Get, Headers, HttpException, Inject, Injectable, NestInterceptor, Res,
} from '@nestjs/common';
import { Observable, throwError } from 'rxjs';
import { tap } from 'rxjs/operators';
import { DomainError, ErrorCode, HTTP_STATUS_OF } from '@pipevideo/contracts';
import { isConnectivityError } from '../db/connectivity';
import { CORRELATION_HEADER, withCorrelationId } from './correlation';
import { logger } from './logger';
import { ServiceMetrics } from './metrics';
import { metricsScrapeAllowed } from './metrics-access';

export const METRICS = Symbol('METRICS');
export const READINESS = Symbol('READINESS');
export type ReadinessCheck = () => Promise<Record<string, boolean>>;

/** Correlation id + latency for NATS handlers; correlation id for HTTP handlers. */
@Injectable()
export class ObservabilityInterceptor implements NestInterceptor {
  constructor(@Inject(METRICS) private readonly metrics: ServiceMetrics) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() === 'rpc') {
      const data = ctx.switchToRpc().getData() as { correlationId?: string } | undefined;
      const subject = ctx.switchToRpc().getContext()?.getSubject?.() ?? ctx.getHandler().name;
      const start = process.hrtime.bigint();
      const observe = (outcome: string) => this.metrics.rpcDuration.observe({ subject, outcome }, Number(process.hrtime.bigint() - start) / 1e9);
      return new Observable((sub) =>
        withCorrelationId(data?.correlationId, () =>
          next.handle().pipe(tap({ next: () => observe('ok'), error: (e) => observe(e instanceof DomainError ? e.code.toLowerCase() : 'error') })).subscribe(sub),
        ),
      );
    }
    const req = ctx.switchToHttp().getRequest();
    const id = (req?.headers?.[CORRELATION_HEADER] as string | undefined)?.slice(0, 128);
    return new Observable((sub) => withCorrelationId(id, () => next.handle().subscribe(sub)));
  }
}

const UNAVAILABLE = 'A database this service needs cannot be reached right now. Retry shortly.';

/** A connectivity failure (database restarting, network) as a typed 503, logged once as a warning. */
function unavailable(exception: unknown): DomainError {
  logger.warn({ err: exception instanceof Error ? exception.message : String(exception) }, 'infrastructure unavailable');
  return new DomainError(ErrorCode.SERVICE_UNAVAILABLE, UNAVAILABLE);
}

/**
 * Turns DomainErrors into typed RPC errors ({code, message}), connectivity failures into
 * SERVICE_UNAVAILABLE, and hides everything else behind INTERNAL_SERVER_ERROR.
 */
@Catch()
export class RpcErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost) {
    // Typed errors keep their meaning; only untyped failures can be "the database is unreachable".
    if (!(exception instanceof DomainError) && !(exception instanceof HttpException) && isConnectivityError(exception)) exception = unavailable(exception);
    if (host.getType() !== 'rpc') return this.http(exception, host);
    if (exception instanceof DomainError) return throwError(() => exception.toBody());
    logger.error({ err: exception instanceof Error ? { message: exception.message, stack: exception.stack } : exception }, 'unhandled error in NATS handler');
    return throwError(() => ({ code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'internal error' }));
  }

  private http(exception: unknown, host: ArgumentsHost) {
    const reply = host.switchToHttp().getResponse();
    if (exception instanceof DomainError) {
      return reply.status(HTTP_STATUS_OF[exception.code]).send({ error: { code: exception.code, message: exception.message } });
    }
    if (exception instanceof HttpException) {
      return reply.status(exception.getStatus()).send({ error: { code: exception.getStatus() === 404 ? ErrorCode.NOT_FOUND : ErrorCode.BAD_REQUEST, message: exception.message } });
    }
    logger.error({ err: exception instanceof Error ? { message: exception.message, stack: exception.stack } : exception }, 'unhandled HTTP error');
    return reply.status(500).send({ error: { code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'internal error' } });
  }
}

/** /metrics, /health/live and /health/ready on every service. */
@Controller()
export class HealthController {
  constructor(
    @Inject(METRICS) private readonly metrics: ServiceMetrics,
    @Inject(READINESS) private readonly readiness: ReadinessCheck,
  ) {}

  @Get('metrics')
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() reply: any) {
    if (!metricsScrapeAllowed(authorization)) {
      this.metrics.metricsScrapesRefused.inc();
      return reply
        .status(401)
        .header('WWW-Authenticate', 'Bearer realm="metrics"')
        .send({ error: { code: ErrorCode.UNAUTHORIZED, message: 'GET /metrics needs Authorization: Bearer <PIPEVIDEO_METRICS_TOKEN>' } });
    }
    reply.header('content-type', this.metrics.registry.contentType).send(await this.metrics.scrape());
  }

  @Get('health/live')
  live() {
    return { status: 'ok' };
  }

  @Get(['health', 'health/ready'])
  async ready(@Res() reply: any) {
    let checks: Record<string, boolean>;
    try {
      checks = await this.readiness();
    } catch {
      checks = { checks: false };
    }
    const ok = Object.values(checks).every(Boolean);
    reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks });
  }
}
