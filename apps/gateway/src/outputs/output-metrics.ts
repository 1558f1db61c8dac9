import { Counter, Gauge, type Registry } from 'prom-client';

/** Metrics of stored outputs served by the gateway and of the push channels (SSE, long-poll). */
export class OutputMetrics {
  /** endpoint: generations, responses, videos, files; outcome: streamed, partial, link, not_ready, expired, unavailable, bad_range, bad_signature. */
  readonly content: Counter<'endpoint' | 'outcome'>;
  readonly bytesServed: Counter;
  readonly linksServed: Counter<'endpoint'>;
  readonly sseOpen: Gauge<'stream'>;
  readonly sseRefused: Counter<'stream'>;
  readonly longPolls: Counter<'outcome'>;

  constructor(registry: Registry) {
    this.content = new Counter({
      name: 'pipevideo_gateway_output_content_total',
      help: 'Answers of the output endpoints (…/content, /v1/files) by endpoint and outcome (streamed, partial, link, not_ready, expired, unavailable, bad_range, bad_signature)',
      labelNames: ['endpoint', 'outcome'],
      registers: [registry],
    });
    this.bytesServed = new Counter({ name: 'pipevideo_gateway_output_bytes_served_total', help: 'Bytes of stored outputs streamed by the gateway', registers: [registry] });
    this.linksServed = new Counter({
      name: 'pipevideo_gateway_output_links_total',
      help: 'Fresh signed links handed out by …/content?link=true, by endpoint',
      labelNames: ['endpoint'],
      registers: [registry],
    });
    this.sseOpen = new Gauge({ name: 'pipevideo_gateway_sse_connections_open', help: 'Server-Sent Events connections open on this replica, by stream (generation_events, responses)', labelNames: ['stream'], registers: [registry] });
    this.sseRefused = new Counter({ name: 'pipevideo_gateway_sse_connections_refused_total', help: 'SSE connections refused at the per-key limit, by stream', labelNames: ['stream'], registers: [registry] });
    this.longPolls = new Counter({ name: 'pipevideo_gateway_long_polls_total', help: 'GET …?wait=N long-polls by outcome (changed, timeout)', labelNames: ['outcome'], registers: [registry] });
    for (const stream of ['generation_events', 'responses']) this.sseOpen.set({ stream }, 0);
  }
}
