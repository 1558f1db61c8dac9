import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import { CORRELATION_HEADER } from '@pipevideo/platform';
import { GATEWAY_RUNTIME, GatewayRuntime } from '../runtime';
import { GatewayExceptionFilter } from './exception.filter';
import { multipartParser } from './multipart';

const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

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
    @Inject(GATEWAY_RUNTIME) private readonly rt: GatewayRuntime,
  ) {}

  onModuleInit() {
    const fastify = this.adapterHost.httpAdapter.getInstance();
    // Unknown routes and body-parsing failures (malformed JSON, 413) reach only global filters; ours
    // is added last, so it is consulted first (Nest tries global filters in reverse order).
    this.appConfig.addGlobalFilter(new GatewayExceptionFilter());
    fastify.addHook('onRequest', async (req: any, reply: any) => {
      const raw = req.headers[CORRELATION_HEADER];
      const id = typeof raw === 'string' && CORRELATION_ID.test(raw) ? raw : randomUUID();
      // The platform's interceptor reads the header: it then carries the id over NATS and into logs.
      req.headers[CORRELATION_HEADER] = id;
      reply.header('X-Correlation-Id', id);
    });
    fastify.addHook('onResponse', async (req: any, reply: any) => {
      this.rt.metrics.requests.inc({ route: req.routeOptions?.url ?? 'unmatched', status_code: String(reply.statusCode) });
    });
    // OpenAI's SDKs upload POST /v1/videos as multipart/form-data; every other route stays JSON-only (415).
    fastify.addContentTypeParser('multipart/form-data', multipartParser(this.rt.cfg.bodyLimitBytes));
    // Not awaited: awaiting would load the plugin queue now, before Nest installs its error handler,
    // and routes would keep Fastify's default error shape.
    void fastify.register(fastifySwagger, { mode: 'static', specification: { document: this.rt.openapiDocument } });
    void fastify.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true, persistAuthorization: true } });
  }
}
