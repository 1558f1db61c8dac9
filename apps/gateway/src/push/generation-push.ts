import { RPC, type ResponseView, type VideoGenerationView } from '@pipevideo/contracts';
import type { GatewayComposition } from '../gateway.composition';
import { follow, longPoll, type Followed } from './follow';
import { SseStream, type HijackableReply } from './sse-stream';

type View = VideoGenerationView | ResponseView;

const FINAL_VIDEO = new Set(['completed', 'failed', 'cancelled']);
const FINAL_RESPONSE = new Set(['completed', 'failed', 'cancelled', 'incomplete']);
const fingerprint = (v: View) => `${v.status}|${v.progress ?? ''}|${v.phase ?? ''}|${v.queue_position ?? ''}`;

/** The push channels of both APIs (SSE streams, long-polls), over GenerationWatch and the router's reads. */
export class GenerationPush {
  constructor(private readonly rt: GatewayComposition) {}

  private video(orgId: string, id: string): Followed<View> & { status(v: View): string } {
    return {
      id,
      read: () => this.rt.downstream.call(RPC.router.generationGet, { orgId, id }),
      fingerprint,
      isFinal: (v) => FINAL_VIDEO.has(v.status),
      status: (v) => v.status,
      recheckMs: this.rt.push.recheckMs,
    };
  }

  private response(orgId: string, id: string): Followed<View> & { status(v: View): string } {
    return {
      id,
      read: () => this.rt.downstream.call(RPC.router.responseGet, { orgId, id }),
      fingerprint,
      isFinal: (v) => FINAL_RESPONSE.has(v.status),
      status: (v) => v.status,
      recheckMs: this.rt.push.recheckMs,
    };
  }

  /** `GET /v1/video/generations/{id}?wait=N` */
  async waitVideo(orgId: string, id: string, waitSeconds: number): Promise<View> {
    const r = await longPoll(this.video(orgId, id), this.rt.watch, waitSeconds * 1000);
    this.rt.outputMetrics.longPolls.inc({ outcome: r.changed ? 'changed' : 'timeout' });
    return r.value;
  }

  /** `GET /v1/responses/{id}?wait=N` */
  async waitResponse(orgId: string, id: string, waitSeconds: number): Promise<View> {
    const r = await longPoll(this.response(orgId, id), this.rt.watch, waitSeconds * 1000);
    this.rt.outputMetrics.longPolls.inc({ outcome: r.changed ? 'changed' : 'timeout' });
    return r.value;
  }

  /**
   * `GET /v1/video/generations/{id}/events`: the poll object as SSE — `generation.<status>` when the
   * status changes (pending, processing, completed, failed, cancelled), `generation.progress` when only
   * progress, phase or queue position moved; the stream ends after the final status.
   */
  async streamVideo(keyId: string, orgId: string, id: string, reply: HijackableReply): Promise<void> {
    const f = this.video(orgId, id);
    const first = await f.read(); // 404 before the stream opens
    await this.open('generation_events', keyId, reply, async (stream) => {
      stream.send(`generation.${first.status}`, first);
      let last = first;
      await follow(f, this.rt.watch, first, (v) => {
        stream.send(v.status !== last.status ? `generation.${v.status}` : 'generation.progress', v);
        last = v;
      }, () => stream.isClosed, (cb) => stream.onClose(cb));
    });
  }

  /**
   * `POST /v1/responses` with `stream: true`, in OpenAI's Responses streaming shape: `response.created`,
   * `response.in_progress` (again at each progress change: `response.progress` tells how far), then
   * `response.completed`, `response.failed` or `response.incomplete` (`response.cancelled` for a cancel);
   * each event carries `type`, `sequence_number` and the response object.
   */
  async streamResponse(keyId: string, orgId: string, created: View, reply: HijackableReply): Promise<void> {
    const f = this.response(orgId, created.id);
    await this.open('responses', keyId, reply, async (stream) => {
      const send = (type: string, response: View) => stream.send(type, { type, sequence_number: stream.nextSequence, response });
      send('response.created', created);
      const emit = (v: View) => {
        if (v.status === 'in_progress' || v.status === 'queued') send('response.in_progress', v);
        else send(v.status === 'cancelled' ? 'response.cancelled' : `response.${v.status}`, v);
      };
      const current = await f.read().catch(() => created);
      if (fingerprint(current) !== fingerprint(created)) emit(current);
      await follow(f, this.rt.watch, current, emit, () => stream.isClosed, (cb) => stream.onClose(cb));
    });
  }

  private async open(name: 'generation_events' | 'responses', keyId: string, reply: HijackableReply, run: (s: SseStream) => Promise<void>): Promise<void> {
    let release: () => void;
    try {
      release = this.rt.sse.acquire(keyId); // 429 before the stream opens
    } catch (err) {
      this.rt.outputMetrics.sseRefused.inc({ stream: name });
      throw err;
    }
    const stream = new SseStream(reply, this.rt.push.heartbeatMs);
    this.rt.outputMetrics.sseOpen.inc({ stream: name });
    stream.onClose(() => {
      release();
      this.rt.outputMetrics.sseOpen.dec({ stream: name });
    });
    try {
      await run(stream);
    } finally {
      stream.close();
    }
  }
}
