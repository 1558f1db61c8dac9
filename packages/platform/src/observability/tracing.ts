/**
 * OpenTelemetry tracing, off unless an OTLP endpoint is configured (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; the standard OTEL_* variables tune the rest). The SDK and the
 * instrumentations are the well-kept `@opentelemetry/auto-instrumentations-node`: inbound and outbound
 * HTTP (the API, the provider calls, webhook deliveries: `http` and `undici` for fetch), PostgreSQL
 * (`pg`) and the trace id in every log line (`pino`). NATS is ours: trace context travels in NATS
 * message headers (nats-trace.ts), so one trace follows a create from the gateway through the router,
 * billing and the providers service to the provider's HTTP API.
 *
 * Must run before anything loads `http` or `pg`: each service's `src/tracing.ts`, imported first by
 * its `main.ts`, calls it. This module imports nothing else for that reason.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) || env.OTEL_SDK_DISABLED === 'true') return false;
  env.OTEL_SERVICE_NAME ||= service;
  env.OTEL_TRACES_EXPORTER ||= 'otlp';
  env.OTEL_METRICS_EXPORTER ||= 'none'; // metrics are Prometheus's (/metrics)
  env.OTEL_LOGS_EXPORTER ||= 'none'; // logs go to stdout as JSON, with trace_id/span_id
  // No cloud metadata probing (it waits on the network at every start); the service says what it is.
  env.OTEL_NODE_RESOURCE_DETECTORS ||= 'env,host,os,process';
  env.OTEL_NODE_ENABLED_INSTRUMENTATIONS ||= 'http,undici,pg,pino';
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@opentelemetry/auto-instrumentations-node/register');
  return true;
}
