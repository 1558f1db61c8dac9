/**
 * Error schemas of the OpenAPI document (one envelope per API generation, docs/api-style.md). Success
 * bodies are described in response-schemas.ts.
 */
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class ErrorDetailSchema {
  @ApiProperty({ example: 'duration' }) field!: string;
  @ApiProperty({ example: 'duration must be a positive number of seconds' }) message!: string;
}
export class ErrorObjectSchema {
  @ApiProperty({ enum: ['UNAUTHORIZED', 'FORBIDDEN', 'TOO_MANY_REQUESTS', 'BAD_REQUEST', 'NOT_FOUND', 'CONFLICT', 'GONE', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'METHOD_NOT_ALLOWED', 'RANGE_NOT_SATISFIABLE', 'INTERNAL_SERVER_ERROR', 'SERVICE_UNAVAILABLE'], example: 'BAD_REQUEST' })
  code!: string;
  @ApiProperty({ example: 'duration must be a positive number of seconds' }) message!: string;
  @ApiPropertyOptional({ type: [ErrorDetailSchema] }) details?: ErrorDetailSchema[];
  @ApiPropertyOptional({ description: 'Seconds to wait (429 only; also the Retry-After header).', example: 12 }) retry_after?: number;
}
export class ErrorSchema {
  @ApiProperty({ type: ErrorObjectSchema }) error!: ErrorObjectSchema;
}
export class OpenAIErrorObjectSchema {
  @ApiProperty({ example: 'input is required' }) message!: string;
  @ApiProperty({ enum: ['invalid_request_error', 'authentication_error', 'permission_error', 'rate_limit_error', 'server_error'] }) type!: string;
  @ApiProperty({ type: String, nullable: true, example: 'input' }) param!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    enum: ['invalid_api_key', 'rate_limit_exceeded', 'bad_request', 'unauthorized', 'forbidden', 'not_found', 'conflict', 'payload_too_large', 'unsupported_media_type', 'method_not_allowed', 'internal_server_error', 'service_unavailable'],
    example: 'bad_request',
  })
  code!: string | null;
  @ApiPropertyOptional({ type: [ErrorDetailSchema], description: 'Every invalid field (400).' }) details?: ErrorDetailSchema[];
  @ApiPropertyOptional({ description: 'Seconds to wait (429 only; also the Retry-After header).', example: 12 }) retry_after?: number;
}
export class OpenAIErrorSchema {
  @ApiProperty({ type: OpenAIErrorObjectSchema }) error!: OpenAIErrorObjectSchema;
}
