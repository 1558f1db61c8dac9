import { context, propagation, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from 'nats';

/**
 * Trace context across NATS (W3C `traceparent`/`tracestate` in message headers), for requests,
 * replies and JetStream events. Without a tracer provider (tracing off) the API is a no-op: no
 * headers are written, the handlers run as they are.
 */
const tracer = () => trace.getTracer('pipevideo-nats');

const setter = { set: (h: MsgHdrs, k: string, v: string) => h.set(k, v) };
const getter = {
  get: (h: MsgHdrs | undefined, k: string) => h?.get(k) || undefined,
  keys: (h: MsgHdrs | undefined) => (h ? [...h.keys()] : []),
};

/** Headers carrying the active trace context (undefined when there is none to carry). */
export function traceHeaders(ctx: Context = context.active()): MsgHdrs | undefined {
  if (!trace.getSpan(ctx)) return undefined;
  const h = natsHeaders();
  propagation.inject(ctx, h, setter);
  return h;
}

/** Runs `fn` in a span for sending a message (a request, a publish), its context in the headers `fn` gets. */
export async function withSendSpan<T>(subject: string, kind: 'request' | 'publish', fn: (h: MsgHdrs | undefined) => Promise<T>, parent?: string): Promise<T> {
  const base = parent ? propagation.extract(context.active(), headerOf(parent), getter) : context.active();
  if (!trace.getSpan(base)) return fn(undefined);
  return tracer().startActiveSpan(`${kind} ${subject}`, { kind: kind === 'request' ? SpanKind.CLIENT : SpanKind.PRODUCER, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject } }, base, async (span) => {
    try {
      return await fn(traceHeaders());
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Runs a message handler in the trace its headers carry (a server or consumer span). */
export async function withReceiveSpan<T>(subject: string, kind: 'request' | 'event', h: MsgHdrs | undefined, fn: () => Promise<T>): Promise<T> {
  const parent = propagation.extract(context.active(), h, getter);
  if (!trace.getSpan(parent)) return fn();
  return tracer().startActiveSpan(`${kind === 'request' ? 'handle' : 'consume'} ${subject}`, { kind: kind === 'request' ? SpanKind.SERVER : SpanKind.CONSUMER, attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject } }, parent, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The active `traceparent`, to keep with work that continues later (an outbox event). */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** The id of the active trace, for log lines (undefined when tracing is off). */
export function currentTraceId(): string | undefined {
  const id = trace.getSpan(context.active())?.spanContext().traceId;
  return id && !/^0+$/.test(id) ? id : undefined;
}

function headerOf(traceparent: string): MsgHdrs {
  const h = natsHeaders();
  h.set('traceparent', traceparent);
  return h;
}

/**
 * Runs background work (a poller's step, started by no request) in a span of its own, so the events it
 * writes to the outbox carry a trace from their publish to their consumers.
 */
export async function withWorkSpan<T>(name: string, attributes: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
    try {
      return await fn();
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}
