import type {
  GenerationFinishedEvt, ResponseCompletedData, VideoGenerationCompletedData, WebhookEventBody, WebhookEventType, WebhookTestData,
} from '@pipevideo/contracts';
import { WEBHOOK_TEST_EVENT_TYPE } from '@pipevideo/contracts';

/** A customer-facing event, ready to be stored once and delivered to each subscribed endpoint. */
export interface CustomerEvent {
  orgId: string;
  type: WebhookEventType | typeof WEBHOOK_TEST_EVENT_TYPE;
  /** The exact bytes every delivery sends (signatures cover them, so they never change). */
  body: string;
  occurredAt: Date;
}

/** Checks the fields we rely on; a malformed event is reported and skipped rather than redelivered forever. */
export function parseGenerationFinished(raw: string): GenerationFinishedEvt {
  const evt = JSON.parse(raw) as GenerationFinishedEvt;
  const missing = (['eventId', 'orgId', 'generationId', 'status', 'api'] as const).filter((k) => typeof evt?.[k] !== 'string' || !evt[k]);
  if (missing.length) throw new Error(`generation.finished event lacks ${missing.join(', ')}`);
  if (evt.api !== 'video' && evt.api !== 'responses') throw new Error(`generation.finished event has unknown api "${String(evt.api)}"`);
  return evt;
}

function finishedAt(evt: GenerationFinishedEvt): Date {
  const d = evt.finishedAt ? new Date(evt.finishedAt) : new Date();
  return Number.isNaN(d.getTime()) ? new Date() : d;
}

/** `generation.finished` → `video.generation.completed` (video API) or `response.completed` (Responses API). */
export function customerEventFromGeneration(evt: GenerationFinishedEvt): CustomerEvent {
  const at = finishedAt(evt);
  if (evt.api === 'video') {
    const data: VideoGenerationCompletedData = {
      generationId: evt.generationId,
      status: evt.status,
      outputUrl: evt.outputUrl ?? null,
      errorMessage: evt.errorMessage ?? null,
      model: evt.model ?? null,
      provider: evt.provider ?? null,
      costCents: evt.costCents ?? 0,
      completedAt: Math.floor(at.getTime() / 1000),
    };
    return envelope(evt.orgId, 'video.generation.completed', at, data);
  }
  // The router puts the response object's fields (engine, output, usage, latency_ms, …) in `extra`;
  // identity and outcome come from the event itself so they can never disagree with it.
  const extra = (evt.extra && typeof evt.extra === 'object' ? evt.extra : {}) as Record<string, unknown>;
  const data: ResponseCompletedData = {
    object: 'response',
    model: evt.model ?? null,
    provider: evt.provider ?? null,
    output_video_url: evt.outputUrl ?? null,
    error: evt.errorMessage ? { code: 'generation_failed', message: evt.errorMessage } : null,
    completed_at: at.getTime(),
    ...extra,
    id: evt.generationId,
    status: evt.status,
  };
  return envelope(evt.orgId, 'response.completed', at, data);
}

export function testEvent(orgId: string, endpointId: string, now = new Date()): CustomerEvent {
  const data: WebhookTestData = { endpointId, message: 'This is a test event from Pipevideo.' };
  return envelope(orgId, WEBHOOK_TEST_EVENT_TYPE, now, data);
}

function envelope(orgId: string, type: CustomerEvent['type'], at: Date, data: object): CustomerEvent {
  const body: WebhookEventBody<string, object> = { type, timestamp: at.toISOString(), data };
  return { orgId, type, body: JSON.stringify(body), occurredAt: at };
}
