/**
 * @pipevideo/sdk — browser entry (no Node-only imports): the typed client, `generate()`, typed errors
 * and webhook verification. Node's entry (`node.ts`) adds `download(id, path)`.
 */
export { PipevideoClient as Pipevideo, PipevideoClient, DEFAULT_BASE_URL } from './client';
export type {
  Balance, CreateKey, CreateVideoGeneration, CreateWebhook, GenerateOptions, GenerateProgress, Model, PipevideoOptions, VideoGeneration, VideoGenerationCreated,
  VideoGenerationList,
} from './client';
export * from './errors';
export { verifyWebhook, WebhookVerificationError } from './webhooks';
export type { GenerationCompletedData, WebhookEvent } from './webhooks';
export type { components, paths } from './generated/openapi';
