import { Counter, type Registry } from 'prom-client';

export type ContentOutcome = 'streamed' | 'not_ready' | 'expired' | 'unavailable' | 'unsupported_variant';

/** Metrics of the OpenAI Videos face (`/v1/videos`); request counts and latencies are the gateway's per-route ones. */
export class VideoMetrics {
  readonly creates: Counter<'input_reference'>;
  readonly contentRequests: Counter<'outcome'>;
  readonly contentBytes: Counter;

  constructor(registry: Registry) {
    this.creates = new Counter({
      name: 'pipevideo_gateway_openai_video_creates_total',
      help: 'POST /v1/videos bodies accepted by the gateway, by how input_reference came (none, upload, url)',
      labelNames: ['input_reference'],
      registers: [registry],
    });
    this.contentRequests = new Counter({
      name: 'pipevideo_gateway_video_content_requests_total',
      help: 'GET /v1/videos/{id}/content answers by outcome (streamed, not_ready, expired, unavailable, unsupported_variant)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.contentBytes = new Counter({
      name: 'pipevideo_gateway_video_content_bytes_total',
      help: 'Bytes of video files streamed to customers by GET /v1/videos/{id}/content',
      registers: [registry],
    });
    for (const outcome of ['streamed', 'not_ready', 'expired', 'unavailable', 'unsupported_variant']) this.contentRequests.inc({ outcome }, 0);
  }
}
