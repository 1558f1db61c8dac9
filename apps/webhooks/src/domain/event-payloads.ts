import type {
  GenerationFinishedEvt, VideoGenerationCompletedData, WebhookEventBody, WebhookEventType, WebhookResponseObject, WebhookTestData,
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

/**
 * `generation.finished` → `video.generation.completed`, for both APIs: spec 001 has finished Responses-API
 * jobs notify with the same event type as video generations. `data` holds the spec fields (`generationId`
 * is the response id for Responses jobs) plus `api`; Responses jobs also carry the full response object.
 */
export function customerEventFromGeneration(evt: GenerationFinishedEvt): CustomerEvent {
  const at = finishedAt(evt);
  const common = {
    generationId: evt.generationId,
    status: evt.status,
    outputUrl: evt.outputUrl ?? null,
    errorMessage: evt.errorMessage ?? null,
    model: evt.model ?? null,
    provider: evt.provider ?? null,
    costCents: evt.costCents ?? 0,
    completedAt: Math.floor(at.getTime() / 1000),
  };
  const data: VideoGenerationCompletedData =
    evt.api === 'video' ? { ...common, api: 'video' } : { ...common, api: 'responses', response: responseObject(evt, at) };
  return envelope(evt.orgId, 'video.generation.completed', at, data);
}

/** Fields of the Responses-API response object (spec 002) that `evt.extra` may supply. */
const RESPONSE_FIELDS = [
  'engine', 'output', 'output_video_url', 'usage', 'latency_ms', 'error', 'created_at', 'completed_at', 'artifact_url', 'artifact_type',
] as const;

/**
 * The response object as GET /v1/responses/{id} shows it once final. Derived from the event, with any
 * spec-002 field the router put in `evt.extra` taking precedence; other `extra` keys (internal flags
 * such as keepTokenCharge) never reach customers. Identity and status always come from the event.
 */
function responseObject(evt: GenerationFinishedEvt, at: Date): WebhookResponseObject {
  const extra = (evt.extra && typeof evt.extra === 'object' ? evt.extra : {}) as Record<string, unknown>;
  const createdAt = toDate(extra.created_at ?? extra.createdAt);
  const outputUrl = evt.outputUrl ?? null;
  const derived: WebhookResponseObject = {
    id: evt.generationId,
    object: 'response',
    status: evt.status,
    model: evt.model ?? null,
    engine: null,
    provider: evt.provider ?? null,
    output: [
      {
        type: 'message',
        id: `${evt.generationId}_msg`,
        role: 'assistant',
        status: evt.status === 'completed' ? 'completed' : 'incomplete',
        content: outputUrl ? [{ type: 'output_video', video_url: { url: outputUrl } }] : [],
      },
    ],
    output_video_url: outputUrl,
    usage: null,
    latency_ms: createdAt ? Math.max(0, at.getTime() - createdAt.getTime()) : null,
    error: evt.errorMessage ? { code: 'generation_failed', message: evt.errorMessage } : null,
    created_at: createdAt ? Math.floor(createdAt.getTime() / 1000) : null,
    completed_at: at.getTime(),
    artifact_url: null,
    artifact_type: null,
  };
  for (const f of RESPONSE_FIELDS) if (f in extra && f !== 'created_at') (derived as Record<string, unknown>)[f] = extra[f];
  return { ...derived, id: evt.generationId, object: 'response', status: evt.status };
}

function toDate(v: unknown): Date | null {
  if (v === undefined || v === null) return null;
  const d = typeof v === 'number' ? new Date(v < 1e12 ? v * 1000 : v) : new Date(String(v));
  return Number.isNaN(d.getTime()) ? null : d;
}

export function testEvent(orgId: string, endpointId: string, now = new Date()): CustomerEvent {
  const data: WebhookTestData = { endpointId, message: 'This is a test event from Pipevideo.' };
  return envelope(orgId, WEBHOOK_TEST_EVENT_TYPE, now, data);
}

function envelope(orgId: string, type: CustomerEvent['type'], at: Date, data: object): CustomerEvent {
  const body: WebhookEventBody<string, object> = { type, timestamp: at.toISOString(), data };
  return { orgId, type, body: JSON.stringify(body), occurredAt: at };
}
