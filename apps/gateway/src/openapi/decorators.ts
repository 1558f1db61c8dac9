import { applyDecorators } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiResponse } from '@nestjs/swagger';
import { jsonBody } from './response-schemas';
import { ErrorSchema, OpenAIErrorSchema } from './schemas';

/** 200 with a body described by one of RESPONSE_SCHEMAS (response-schemas.ts). */
export const ApiOk = (schema: string) => ApiOkResponse(jsonBody(schema));
/** 201 with a body described by one of RESPONSE_SCHEMAS. */
export const ApiCreated = (schema: string) => ApiCreatedResponse(jsonBody(schema));

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (field-level messages in details), unknown model or provider, insufficient balance',
  401: 'Missing, malformed, unknown, revoked or expired API key',
  403: 'Wrong kind of API key for this endpoint',
  404: 'Not found (or belongs to another organization)',
  409: 'Idempotency-Key reused with a different body, or its first request is still running',
  410: 'The stored file is gone: its retention ended (generate it again)',
  413: 'Request body too large',
  416: 'The Range header asks for bytes outside the file',
  415: 'Body is not JSON',
  429: 'Rate limit exceeded (Retry-After header and retry_after in the body)',
  500: 'Internal error',
  503: 'A downstream service is unavailable; retry shortly',
};

/** Error answers of an operation, in the video API's error shape. */
export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(...statuses.map((status) => ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'Error', type: ErrorSchema })));

/** Error answers of a Responses-API operation, in OpenAI's error shape. */
export const OpenAIErrors = (...statuses: number[]) =>
  applyDecorators(...statuses.map((status) => ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'Error', type: OpenAIErrorSchema })));

export const KEYED_ERRORS = [401, 429, 500, 503];
