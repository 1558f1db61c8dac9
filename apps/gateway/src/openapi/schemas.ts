/**
 * Response schemas for the OpenAPI document. The bodies themselves come from the services that own
 * them (router, billing, webhooks) and pass through unchanged; these classes only describe them.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ErrorDetailSchema {
  @ApiProperty({ example: 'duration' }) field!: string;
  @ApiProperty({ example: 'duration must be a positive number of seconds' }) message!: string;
}
export class ErrorObjectSchema {
  @ApiProperty({ enum: ['UNAUTHORIZED', 'FORBIDDEN', 'TOO_MANY_REQUESTS', 'BAD_REQUEST', 'NOT_FOUND', 'CONFLICT', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE'], example: 'BAD_REQUEST' })
  code!: string;
  @ApiProperty({ example: 'duration must be a positive number of seconds' }) message!: string;
  @ApiPropertyOptional({ type: [ErrorDetailSchema] }) details?: ErrorDetailSchema[];
  @ApiPropertyOptional({ description: 'Seconds to wait (429 only).', example: 12 }) retry_after?: number;
}
export class ErrorSchema {
  @ApiProperty({ type: ErrorObjectSchema }) error!: ErrorObjectSchema;
  @ApiPropertyOptional({ description: 'Seconds to wait (429 only).', example: 12 }) retry_after?: number;
}
export class OpenAIErrorObjectSchema {
  @ApiProperty({ example: 'input is required' }) message!: string;
  @ApiProperty({ enum: ['invalid_request_error', 'authentication_error', 'permission_error', 'rate_limit_error', 'server_error'] }) type!: string;
  @ApiProperty({ type: String, nullable: true, example: 'input' }) param!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'bad_request' }) code!: string | null;
}
export class OpenAIErrorSchema {
  @ApiProperty({ type: OpenAIErrorObjectSchema }) error!: OpenAIErrorObjectSchema;
}

export class VideoGenerationCreatedSchema {
  @ApiProperty({ example: 'gen_abc123xyz' }) id!: string;
  @ApiProperty({ enum: ['pending', 'processing', 'completed', 'failed'], example: 'pending' }) status!: string;
  @ApiProperty({ example: 'google/veo-3.1', description: 'The initial model (first of models).' }) model!: string;
  @ApiProperty({ example: 1709827200, description: 'Unix seconds.' }) created_at!: number;
}
export class VideoGenerationSchema {
  @ApiProperty({ example: 'gen_abc123xyz' }) id!: string;
  @ApiProperty({ enum: ['pending', 'processing', 'completed', 'failed'] }) status!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Model actually used.' }) model!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) provider?: string | null;
  @ApiProperty({ type: String, nullable: true }) output_url!: string | null;
  @ApiProperty({ type: Number, nullable: true }) cost_cents!: number | null;
  @ApiPropertyOptional({ type: Number, nullable: true, example: 8, description: 'Seconds of video made and billed: exactly the duration sent to the provider.' }) duration?: number | null;
  @ApiPropertyOptional({ type: String, nullable: true, example: '720p', description: 'Resolution made and billed (the route\'s default when none was requested).' }) resolution?: string | null;
  @ApiProperty({ type: Number, nullable: true }) latency_ms!: number | null;
  @ApiProperty({ type: String, nullable: true }) error_message!: string | null;
  @ApiProperty({ description: 'Unix seconds.' }) created_at!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Unix seconds.' }) completed_at!: number | null;
  @ApiPropertyOptional({ type: 'array', items: { type: 'object' }, description: 'Routing attempts (extension).' }) attempts?: unknown[];
}
export class VideoGenerationListSchema {
  @ApiProperty({ example: 'list' }) object!: string;
  @ApiProperty({ type: [VideoGenerationSchema] }) data!: VideoGenerationSchema[];
  @ApiProperty() has_more!: boolean;
  @ApiProperty({ type: 'string', nullable: true, description: 'Pass as `cursor` to get the next page; null on the last page' }) next_cursor!: string | null;
}

export class ListSchema {
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) data!: unknown[];
}
export class ObjectSchema {}

/** `usage` of a response: spec 002's counts and `cost_usd`, plus the whole cents charged. */
export class ResponseUsageSchema {
  @ApiProperty({ example: 1200 }) input_tokens!: number;
  @ApiProperty({ example: 3400 }) output_tokens!: number;
  @ApiProperty({ example: 4600 }) total_tokens!: number;
  @ApiProperty({
    example: 0.01092,
    description: 'Exact cost of the tokens at the published per-million-token rates (fractional USD, not rounded to cents); 0 when nothing stands charged (a failed job is refunded).',
  })
  cost_usd!: number;
  @ApiProperty({ example: 2, description: 'Whole cents charged to the balance for these tokens (cost_usd rounded up to a cent); 0 when refunded.' })
  charged_cents!: number;
  @ApiProperty({
    example: false,
    description: 'True when the provider reported no usage: the counts are the rule charged instead (estimated input tokens + the output cap, i.e. the hold).',
  })
  estimated!: boolean;
}

export class ResponseObjectSchema {
  @ApiProperty({ example: 'gen_abc123xyz' }) id!: string;
  @ApiProperty({ example: 'response' }) object!: string;
  @ApiProperty({ enum: ['queued', 'in_progress', 'completed', 'failed', 'cancelled', 'incomplete'] }) status!: string;
  @ApiProperty({ example: 'moonshotai/kimi-k2.5' }) model!: string;
  @ApiProperty({ type: String, nullable: true, example: 'hyperframes' }) engine!: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'framerate' }) provider!: string | null;
  @ApiProperty({ description: 'Unix seconds.' }) created_at!: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Unix milliseconds.' }) completed_at!: number | null;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) output!: unknown[];
  @ApiProperty({ type: String, nullable: true }) output_video_url!: string | null;
  @ApiPropertyOptional({ type: 'integer', nullable: true, example: 20000, description: "The output cap the job runs with (the request's max_output_tokens, else the deployment's default); part of the credit hold." })
  max_output_tokens?: number | null;
  @ApiPropertyOptional({ type: () => ResponseUsageSchema, nullable: true, description: 'Token usage once the orchestration finished; null before.' }) usage?: ResponseUsageSchema | null;
  @ApiPropertyOptional({ type: Number, nullable: true }) latency_ms?: number | null;
  @ApiPropertyOptional({ type: 'object', nullable: true, additionalProperties: true }) error?: unknown;
  @ApiPropertyOptional({ type: String, nullable: true }) artifact_url?: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) artifact_type?: string | null;
}
export class ResponseCancelledSchema {
  @ApiProperty({ example: 'gen_abc123xyz' }) id!: string;
  @ApiProperty({ example: true }) cancelled!: boolean;
}

export class OrganizationSchema {
  @ApiProperty({ example: 'org_2x9Qb7' }) id!: string;
  @ApiProperty({ example: 'organization' }) object!: string;
  @ApiProperty({ example: 'Acme' }) name!: string;
  @ApiProperty({ type: Number, nullable: true }) rate_limit_per_minute!: number | null;
  @ApiProperty() created_at!: number;
}
export class ApiKeySchema {
  @ApiProperty({ example: 'key_8f2kLm' }) id!: string;
  @ApiProperty({ example: 'api_key' }) object!: string;
  @ApiProperty() org_id!: string;
  @ApiProperty({ example: 'production' }) name!: string;
  @ApiProperty({ enum: ['standard', 'management'] }) kind!: string;
  @ApiProperty({ example: 'pv_AbCdEfGhI', description: 'First characters of the secret, to recognise it.' }) prefix!: string;
  @ApiProperty({ enum: ['active', 'revoked', 'expired'] }) status!: string;
  @ApiProperty({ type: Number, nullable: true }) rate_limit_per_minute!: number | null;
  @ApiProperty() created_at!: number;
  @ApiProperty({ type: Number, nullable: true }) last_used_at!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'When a rotated key stops working.' }) expires_at!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: 5000, description: 'Spend limit: cents the key may spend per limit_reset period (holds of running jobs count); null = no limit.' }) limit_cents!: number | null;
  @ApiProperty({ enum: ['daily', 'weekly', 'monthly', 'none'], nullable: true, description: 'When the limit starts over: daily (00:00 UTC), weekly (Monday 00:00 UTC), monthly (the 1st, 00:00 UTC) or none (the key’s whole life). null without a limit.' })
  limit_reset!: string | null;
}
export class ApiKeyWithRemainingSchema extends ApiKeySchema {
  @ApiProperty({ type: Number, nullable: true, example: 1250, description: 'What is left of the limit in the current period; null without a limit (or while billing cannot be reached).' }) limit_remaining_cents!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'When the current period ends (unix seconds); null without a limit or with limit_reset none.' }) limit_resets_at!: number | null;
}
export class IssuedApiKeySchema extends ApiKeySchema {
  @ApiProperty({ example: 'pv_…', description: 'The secret. Shown only in this answer.' }) key!: string;
}
export class RotatedApiKeySchema extends IssuedApiKeySchema {
  @ApiProperty() rotated_from!: string;
  @ApiProperty({ description: 'When the previous key stops working (unix seconds).' }) previous_key_expires_at!: number;
}
export class ApiKeyListSchema {
  @ApiProperty({ type: [ApiKeyWithRemainingSchema] }) data!: ApiKeyWithRemainingSchema[];
}

export class BalanceSchema {
  @ApiProperty() orgId!: string;
  @ApiProperty() balance_cents!: number;
  @ApiProperty() held_cents!: number;
  @ApiProperty() available_cents!: number;
  @ApiProperty({
    description:
      'Cents the organization owes: usage it could not cover, or credits Stripe took back (refund, dispute) after they were spent or while held by running jobs. Any top-up pays it first; while above 0 no generation can be created. Never above 0 together with available_cents.',
    example: 0,
  })
  owed_cents!: number;
}
export class CheckoutSchema {
  @ApiProperty({ example: 'cs_test_123' }) id!: string;
  @ApiProperty({ example: 'https://checkout.stripe.com/c/pay/cs_test_123' }) url!: string;
}
