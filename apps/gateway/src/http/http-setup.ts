import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import { CORRELATION_HEADER, isDashboardBuild, registerDashboard } from '@pipevideo/platform';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';
import { AllowedMethods } from './allowed-methods';
import { GatewayExceptionFilter } from './exception.filter';
import { jsonBodyProblem } from './json-body';
import { multipartParser } from './multipart';
import { ErrorCode } from '@pipevideo/contracts';
import { ApiError, errorBodyFor, normalizeError } from './api-error';
import { limitMessage } from '../ratelimit/request-limits';
import { correlationIdFor } from './correlation';

/**
 * Our JSON body parser in place of the one Nest installs (Fastify's, keeping the raw bytes for the
 * Stripe webhook's signature): the same parsing (`__proto__`/`constructor.prototype` refused), plus
 * - a compressed body (`Content-Encoding`) is a 415 saying so, not "malformed JSON";
 * - an empty body is no body, as if `Content-Type: application/json` had not been sent (many clients
 *   send the header on every request): routes without a body work, the others say the body is missing;
 * - a body nested too deep or holding a lone surrogate is a 400 naming where (`json-body.ts`), not a
 *   500 from deep inside validation or PostgreSQL. That is the one walk over the parsed body: it also
 *   records the nulls and NUL characters `requireJsonObject` deals with when the route asks for the
 *   body (validation/validate.ts), which then does not walk it again.
 * Nest's `application/x-www-form-urlencoded` parser and Fastify's `text/plain` one go too: every route
 * takes JSON (415 otherwise).
 */
export function installJsonParser(fastify: any): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser(['application/json', 'application/x-www-form-urlencoded', 'text/plain']);
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req: { rawBody?: Buffer; headers: Record<string, unknown> }, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
    const coding = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (coding !== 'identity' && coding !== '') return done(new ApiError('UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${coding} is not accepted for request bodies: send the JSON uncompressed.`));
    req.rawBody = body;
    const text = body.toString('utf8');
    if (!text.trim()) return done(null, undefined);
    parseJson(req, text, (err: Error | null, value: unknown) => {
      if (err) return done(err);
      const problem = jsonBodyProblem(value, text);
      done(problem ? new ApiError(ErrorCode.BAD_REQUEST, problem) : null, problem ? undefined : value);
    });
  });
}

/**
 * Fastify-level wiring that must exist before the server starts: correlation ids on every answer,
 * the request counter, our error shape for failures that happen before a route runs (malformed
 * JSON, 413, 415, unknown routes), and the API docs (/docs).
 */
@Injectable()
export class HttpSetup implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly appConfig: ApplicationConfig,
    @Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition,
  ) {}

  onModuleInit() {
    const fastify = this.adapterHost.httpAdapter.getInstance();
    // Unknown routes and body-parsing failures (malformed JSON, 413) reach only global filters; ours
    // is added last, so it is consulted first (Nest tries global filters in reverse order).
    this.appConfig.addGlobalFilter(new GatewayExceptionFilter(new AllowedMethods(() => [this.rt.openapiDocument, this.rt.operatorOpenapiDocument])));
    fastify.addHook('onRequest', async (req: any, reply: any) => {
      const id = correlationIdFor(req.headers[CORRELATION_HEADER]);
      // The platform's interceptor reads the header: it then carries the id over NATS and into logs.
      req.headers[CORRELATION_HEADER] = id;
      reply.header('X-Correlation-Id', id);
      // (The catalog and the OpenAPI document, GET and HEAD, are answered from memory before Fastify: http/static-listener.ts.)
      // Swagger UI is a Fastify plugin, not a Nest route: its pages spend the client IP's budget here.
      if (typeof req.url === 'string' && (req.url === '/docs' || req.url.startsWith('/docs/'))) {
        // The docs stay up while the database is not: no decision lets the page through.
        const d = await this.rt.limits.forIp(req.ip ?? 'unknown').catch(() => undefined);
        if (d && !d.allowed) {
          this.rt.metrics.rateLimited.inc({ limit: 'ip' });
          const e = normalizeError(new ApiError(ErrorCode.TOO_MANY_REQUESTS, limitMessage(d), { retryAfterSeconds: d.retryAfterSeconds }));
          return reply.code(429).header('Retry-After', d.retryAfterSeconds).send(errorBodyFor(req.url, e));
        }
      }
    });
    fastify.addHook('onResponse', async (req: any, reply: any) => {
      this.rt.metrics.requests.inc({ route: req.routeOptions?.url ?? 'unmatched', status_code: String(reply.statusCode) });
    });
    installJsonParser(fastify);
    // OpenAI's SDKs upload POST /v1/videos as multipart/form-data; every other route stays JSON-only (415).
    fastify.addContentTypeParser('multipart/form-data', multipartParser(this.rt.cfg.bodyLimitBytes));
    // Not awaited: awaiting would load the plugin queue now, before Nest installs its error handler,
    // and routes would keep Fastify's default error shape.
    void fastify.register(fastifySwagger, { mode: 'static', specification: { document: this.rt.openapiDocument } });
    void fastify.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true, persistAuthorization: true } });
    // The dashboard's pages and assets (embedded mode), on their exact paths only: the API keeps every other one.
    const dashboardDir = this.rt.cfg.dashboardDir;
    if (dashboardDir) {
      if (!isDashboardBuild(dashboardDir)) throw new Error(`PIPEVIDEO_DASHBOARD_DIR ${dashboardDir} holds no built dashboard (run pnpm build)`);
      registerDashboard(fastify, dashboardDir);
    }
  }
}
