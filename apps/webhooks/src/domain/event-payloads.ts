import type {
  GenerationCompletedStatus, GenerationFinishedEvt, VideoGenerationCompletedData, WebhookEventBody, WebhookEventType, WebhookTestData,
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

function finishedAt(evt: GenerationFinishedEvt): Date {
  const d = evt.finishedAt ? new Date(evt.finishedAt) : new Date();
  return Number.isNaN(d.getTime()) ? new Date() : d;
}

/**
 * `generation.finished` → `video.generation.completed`, for both APIs (spec 001 has finished Responses
 * jobs notify with the video event type). `data` holds spec 004's four fields under the spec's own names
 * (`generationId` is the response id for Responses jobs), `status` exactly `completed` or `failed` as both
 * specs promise (a Responses job that ended `incomplete` is a failure here, refunded like one; its
 * `response.status` says `incomplete`), `api`, and the public object exactly as GET returns it:
 * `generation` (video) or `response` (Responses), rendered by the router with the same view function.
 * A Responses job the customer cancelled raises no event (the cancel call answered it): null.
 */
export function customerEventFromGeneration(evt: GenerationFinishedEvt): CustomerEvent | null {
  if (evt.status === 'cancelled') return null;
  const at = finishedAt(evt);
  const status: GenerationCompletedStatus = evt.status === 'completed' ? 'completed' : 'failed';
  const spec = {
    generationId: evt.generationId,
    status,
    outputUrl: status === 'completed' ? evt.outputUrl ?? null : null,
    errorMessage: status === 'failed' ? evt.errorMessage ?? null : null,
  };
  // Events written before the router attached the object carry the spec fields only.
  const resource = evt.resource;
  const response = resource && 'object' in resource ? resource : undefined;
  const generation = resource && !('object' in resource) ? resource : undefined;
  const data: VideoGenerationCompletedData =
    evt.api === 'video'
      ? { ...spec, api: 'video' as const, ...(generation ? { generation } : {}) }
      : { ...spec, api: 'responses' as const, ...(response ? { response } : {}) };
  return envelope(evt.orgId, 'video.generation.completed', at, data);
}

export function testEvent(orgId: string, endpointId: string, now = new Date()): CustomerEvent {
  const data: WebhookTestData = { endpoint_id: endpointId, message: 'This is a test event from Pipevideo.' };
  return envelope(orgId, WEBHOOK_TEST_EVENT_TYPE, now, data);
}

function envelope(orgId: string, type: CustomerEvent['type'], at: Date, data: object): CustomerEvent {
  const body: WebhookEventBody<string, object> = { type, timestamp: at.toISOString(), data };
  return { orgId, type, body: JSON.stringify(body), occurredAt: at };
}
