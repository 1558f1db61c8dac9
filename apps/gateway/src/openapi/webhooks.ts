/**
 * The OpenAPI 3.1 `webhooks` section: the events Pipevideo POSTs to customer endpoints, for both APIs
 * (apps/webhooks/README.md, docs/api-style.md). Every request is signed the Standard Webhooks way
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature`); any 2xx answer counts as delivered.
 */
import { WEBHOOK_TEST_EVENT_TYPE } from '@pipevideo/contracts';
import { JsonSchema, ref } from './response-schemas';

const SIGNATURE_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({
  name,
  in: 'header',
  required: true,
  schema: { type: 'string' },
  description:
    name === 'webhook-id'
      ? 'The event id, the same on every retry: de-duplicate with it.'
      : name === 'webhook-timestamp'
        ? 'Unix seconds of this attempt.'
        : 'v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<raw body>"> (two entries during a secret rotation).',
}));

/** The event envelope (Standard Webhooks: `timestamp` is ISO 8601 there, the one timestamp that is not unix seconds). */
const envelope = (type: string, data: JsonSchema, description: string): JsonSchema => ({
  type: 'object',
  description,
  properties: {
    type: { type: 'string', const: type },
    timestamp: { type: 'string', format: 'date-time', description: 'When the event happened (ISO 8601, the Standard Webhooks envelope); the same on every retry.' },
    data,
  },
  required: ['type', 'timestamp', 'data'],
  additionalProperties: false,
});

/** spec 004's payload fields, under the spec's own (camelCase) names: the one documented exception to snake_case. */
const SPEC_FIELDS: Record<string, JsonSchema> = {
  generationId: { type: 'string', description: 'The id from the create response (the response id for /v1/responses jobs).' },
  status: { type: 'string', enum: ['completed', 'failed'], description: 'Exactly completed or failed (specs 001 and 004). A Responses job that ended incomplete is failed here; its response.status says incomplete.' },
  outputUrl: { type: ['string', 'null'], description: 'Video URL when completed.' },
  errorMessage: { type: ['string', 'null'], description: 'Our own sentence when failed (see the object’s error code).' },
};
const data = (api: 'video' | 'responses', objectName: 'generation' | 'response', schema: string, description: string): JsonSchema => ({
  type: 'object',
  description,
  properties: { ...SPEC_FIELDS, api: { type: 'string', const: api }, [objectName]: ref(schema) },
  required: [...Object.keys(SPEC_FIELDS), 'api', objectName],
  additionalProperties: false,
});

export const WEBHOOK_SCHEMAS: Record<string, JsonSchema> = {
  VideoGenerationCompletedEvent: envelope(
    'video.generation.completed',
    {
      oneOf: [
        data('video', 'generation', 'VideoGeneration', 'A /v1/video/generations job: `generation` is exactly GET /v1/video/generations/{id} once final.'),
        data('responses', 'response', 'ResponseObject', 'A /v1/responses job: `response` is exactly GET /v1/responses/{id} once final (engine, usage, artifact_url).'),
      ],
    },
    'A generation of either API finished, success or failure. Cancelled Responses jobs raise no event.',
  ),
  WebhookTestEvent: envelope(
    WEBHOOK_TEST_EVENT_TYPE,
    {
      type: 'object',
      properties: { endpoint_id: { type: 'string' }, message: { type: 'string' } },
      required: ['endpoint_id', 'message'],
      additionalProperties: false,
    },
    'Sent by POST /v1/webhooks/{id}/test, whatever the endpoint subscribes to.',
  ),
};

const hook = (summary: string, description: string, schema: string) => ({
  post: {
    operationId: `webhook_${schema}`,
    summary,
    description,
    tags: ['Webhooks'],
    parameters: SIGNATURE_HEADERS,
    requestBody: { required: true, content: { 'application/json': { schema: ref(schema) } } },
    responses: {
      '2XX': { description: 'Delivered. Anything else (or no answer within 15 s) is retried with exponential backoff; 410 Gone disables the endpoint.' },
    },
  },
});

export const WEBHOOKS = {
  'video.generation.completed': hook(
    'A generation finished (both APIs)',
    'Statuses: `data.status` is `completed` or `failed`. `data.api` says which API created the job; `data.generation` (video) or `data.response` (Responses) is the object exactly as its GET returns it.',
    'VideoGenerationCompletedEvent',
  ),
  [WEBHOOK_TEST_EVENT_TYPE]: hook('Test event', 'Sent on demand by POST /v1/webhooks/{id}/test.', 'WebhookTestEvent'),
};
