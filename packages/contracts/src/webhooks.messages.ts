/**
 * Messages of the webhooks service's NATS API (subjects in `RPC.webhooks`) and the shapes of what it
 * sends to customers. Replies are exactly what the public HTTP API returns (snake_case, unix seconds),
 * so the gateway passes them through unchanged. Every request carries the caller's `orgId`: a service
 * never shows or touches another org's endpoints or deliveries (they answer NOT_FOUND).
 */
import {
  ArrayNotEmpty, ArrayUnique, IsArray, IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min,
} from 'class-validator';
import { Envelope } from './messages';
import type { ResponseView, VideoGenerationView } from './router.views';

// ---------------------------------------------------------------------------------------------
// Event types

/**
 * Event types a customer can subscribe an endpoint to. Finished jobs of both APIs (`/v1/video/generations`
 * and `/v1/responses`) raise `video.generation.completed` (spec 001); `data.api` tells them apart.
 */
export const WEBHOOK_EVENT_TYPES = ['video.generation.completed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** Sent only by `webhooks.endpoint.test`, whatever the endpoint subscribes to. */
export const WEBHOOK_TEST_EVENT_TYPE = 'webhook.test';

/**
 * Delivery status in the log:
 * - `pending`: waiting for its next attempt (first attempt, or a retry after a failure — see attempts / last_error);
 * - `succeeded`: the endpoint answered 2xx;
 * - `failed`: given up without exhausting retries (the endpoint answered 410 Gone, or was disabled or deleted);
 * - `exhausted`: every attempt of the retry schedule failed.
 */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'exhausted'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

export const WEBHOOK_URL_MAX_LENGTH = 2048;
export const WEBHOOK_DESCRIPTION_MAX_LENGTH = 500;

// ---------------------------------------------------------------------------------------------
// Requests

/** `webhooks.endpoint.create` */
export class WebhookEndpointCreateMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  @IsString() @IsNotEmpty() @MaxLength(WEBHOOK_URL_MAX_LENGTH) url!: string;
  /** Event types to receive; omitted = every type in WEBHOOK_EVENT_TYPES. */
  @IsOptional() @IsArray() @ArrayNotEmpty() @ArrayUnique() @IsIn(WEBHOOK_EVENT_TYPES as unknown as string[], { each: true }) events?: WebhookEventType[];
  @IsOptional() @IsString() @MaxLength(WEBHOOK_DESCRIPTION_MAX_LENGTH) description?: string;
}

/** `webhooks.endpoint.update`: every field optional; `enabled: true` re-enables (clears disabled_reason). */
export class WebhookEndpointUpdateMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  @IsString() @IsNotEmpty() id!: string;
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(WEBHOOK_URL_MAX_LENGTH) url?: string;
  @IsOptional() @IsArray() @ArrayNotEmpty() @ArrayUnique() @IsIn(WEBHOOK_EVENT_TYPES as unknown as string[], { each: true }) events?: WebhookEventType[];
  @IsOptional() @IsString() @MaxLength(WEBHOOK_DESCRIPTION_MAX_LENGTH) description?: string;
  @IsOptional() @IsBoolean() enabled?: boolean;
}

/** `webhooks.endpoint.get`, `.delete`, `.rotate`, `.test`: one endpoint of the org. */
export class WebhookEndpointRefMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  @IsString() @IsNotEmpty() id!: string;
}

/** `webhooks.endpoint.list`: newest first. */
export class WebhookEndpointListMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  @IsOptional() @IsInt() @Min(1) @Max(100) limit?: number;
  /** `next_cursor` of the previous page. */
  @IsOptional() @IsString() cursor?: string;
}

/** `webhooks.delivery.list`: deliveries of one endpoint, newest first. */
export class WebhookDeliveryListMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  @IsString() @IsNotEmpty() endpointId!: string;
  @IsOptional() @IsIn(WEBHOOK_DELIVERY_STATUSES as unknown as string[]) status?: WebhookDeliveryStatus;
  @IsOptional() @IsInt() @Min(1) @Max(100) limit?: number;
  @IsOptional() @IsString() cursor?: string;
}

/** `webhooks.delivery.retry`: re-queue one delivery for an attempt now. */
export class WebhookDeliveryRetryMsg extends Envelope {
  @IsString() @IsNotEmpty() orgId!: string;
  @IsString() @IsNotEmpty() id!: string;
  /** When given (the HTTP route names it), the delivery must belong to this endpoint, else NOT_FOUND. */
  @IsOptional() @IsString() @IsNotEmpty() endpointId?: string;
}

// Aliases named after the verbs, for callers that prefer them.
export { WebhookEndpointRefMsg as WebhookEndpointGetMsg };
export { WebhookEndpointRefMsg as WebhookEndpointDeleteMsg };
export { WebhookEndpointRefMsg as WebhookEndpointRotateMsg };
export { WebhookEndpointRefMsg as WebhookEndpointTestMsg };

// ---------------------------------------------------------------------------------------------
// Replies (= public HTTP bodies)

/** Reply of get/list/update; create and rotate add `secret`. Times are unix seconds. */
export interface WebhookEndpointView {
  id: string;
  object: 'webhook_endpoint';
  url: string;
  events: WebhookEventType[];
  description: string;
  enabled: boolean;
  /** Why the endpoint is disabled (by us or by the org), null while enabled. */
  disabled_reason: string | null;
  disabled_at: number | null;
  /** While a rotation's overlap window is open, deliveries are signed with the old secret too, until then. */
  previous_secret_expires_at: number | null;
  created_at: number;
  updated_at: number;
}

/** Reply of create and rotate: the signing secret, shown only this once. */
export interface WebhookEndpointWithSecret extends WebhookEndpointView {
  secret: string;
}

export interface WebhookEndpointDeleted {
  id: string;
  object: 'webhook_endpoint';
  deleted: true;
}

/** One delivery of one event to one endpoint (list item, retry and test reply). */
export interface WebhookDeliveryView {
  id: string;
  object: 'webhook_delivery';
  endpoint_id: string;
  /** The event's id: the `webhook-id` header, identical on every retry (use it to de-duplicate). */
  event_id: string;
  event_type: WebhookEventType | typeof WEBHOOK_TEST_EVENT_TYPE;
  status: WebhookDeliveryStatus;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  /** Duration of the last attempt. */
  latency_ms: number | null;
  /** When the next attempt is due (pending only). */
  next_attempt_at: number | null;
  created_at: number;
  completed_at: number | null;
}

export interface WebhookListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  /** Pass as `cursor` to get the next page; null on the last page. */
  next_cursor: string | null;
}

// ---------------------------------------------------------------------------------------------
// What customers receive (the POST body; headers webhook-id / webhook-timestamp / webhook-signature)

export interface WebhookEventBody<T extends string = string, D = Record<string, unknown>> {
  type: T;
  /** When the event happened (ISO 8601); the same on every retry. */
  timestamp: string;
  data: D;
}

/** `data.status` of `video.generation.completed`: exactly the two outcomes specs 001 and 004 promise. */
export type GenerationCompletedStatus = 'completed' | 'failed';

/**
 * Fields every `video.generation.completed` carries, whichever API created the job: spec 004's payload
 * fields under the spec's own (camelCase) names — the one documented exception to snake_case.
 */
interface GenerationCompletedDataBase {
  /** The generation id (video API) or the response id (Responses API). */
  generationId: string;
  status: GenerationCompletedStatus;
  /** The video URL when completed, else null. */
  outputUrl: string | null;
  /** Our own sentence when failed (the object's error_code / error.code says why), else null. */
  errorMessage: string | null;
}

/** `video.generation.completed` data of a `/v1/video/generations` job: the spec fields plus the generation as GET returns it. */
export interface VideoApiGenerationCompletedData extends GenerationCompletedDataBase {
  api: 'video';
  /** Exactly `GET /v1/video/generations/{id}` once final. */
  generation?: VideoGenerationView;
}

/** `video.generation.completed` data of a `/v1/responses` job: the spec fields plus the response object as GET returns it. */
export interface ResponsesApiGenerationCompletedData extends GenerationCompletedDataBase {
  api: 'responses';
  /** Exactly `GET /v1/responses/{id}` once final (engine, usage, artifact_url included). */
  response?: ResponseView;
}

/** `video.generation.completed` data: sent for every finished job, success or failure; `api` tells which API created it. */
export type VideoGenerationCompletedData = VideoApiGenerationCompletedData | ResponsesApiGenerationCompletedData;

export interface WebhookTestData {
  endpoint_id: string;
  message: string;
}
