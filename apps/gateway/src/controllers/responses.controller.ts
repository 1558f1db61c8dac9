import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { RPC, type OutputLocation } from '@pipevideo/contracts';
import type { Headers, StreamReply } from '../outputs/output-content';
import { badRequestError } from '../http/api-error';
import { boolQuery, strQuery } from '../http/params';
import { keyOfCreate, type Principal } from '../auth/key-authenticator';
import { attributionFrom } from '../http/attribution';
import { CurrentPrincipal, GatewayController, StandardKey } from '../http/auth';
import { checkId } from '../http/params';
import { forwardedIdempotencyKey, Idempotent } from '../idempotency/idempotency.interceptor';
import { ApiOk, OpenAIErrors, KEYED_ERRORS } from '../openapi/decorators';
import { GATEWAY_RUNTIME, GatewayRuntime } from '../runtime';
import { CreateResponseDto, parseResponseBody } from '../validation/response.dto';

type CancelReply = Record<string, unknown> & { id: string; cancelled: boolean };

/** OpenAI Responses-compatible API (spec 001/002). Errors in OpenAI's shape. */
@ApiTags('Responses')
@GatewayController()
@StandardKey()
@Controller('v1/responses')
export class ResponsesController {
  constructor(@Inject(GATEWAY_RUNTIME) private readonly rt: GatewayRuntime) {}

  @Post()
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ summary: 'Create a video generation (Responses API)', description: 'Returns the response object with status "queued"; poll GET /v1/responses/{id}.' })
  @ApiBody({ type: CreateResponseDto })
  @ApiOk('ResponseObject')
  @OpenAIErrors(400, 403, 409, 413, 415, ...KEYED_ERRORS)
  create(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Req() req: { headers: Record<string, string | string[] | undefined> }) {
    const request = parseResponseBody(body, { maxOutputTokens: this.rt.cfg.responsesMaxOutputTokensLimit });
    const attribution = attributionFrom(req.headers);
    return this.rt.create(RPC.router.responseCreate, { orgId: p.orgId, request, maxInFlight: p.maxConcurrentGenerations, ...(attribution ? { attribution } : {}), ...forwardedIdempotencyKey(req.headers), ...keyOfCreate(p) });
  }

  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a response (poll until completed or failed)' })
  @ApiParam({ name: 'id', example: 'gen_abc123xyz' })
  @ApiOk('ResponseObject')
  @OpenAIErrors(403, 404, ...KEYED_ERRORS)
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.rt.downstream.call(RPC.router.responseGet, { orgId: p.orgId, id: checkId('generation', id, 'Response') });
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Cancel an in-flight generation (spec 002): { id, cancelled }' })
  @ApiParam({ name: 'id', example: 'gen_abc123xyz' })
  @ApiOk('ResponseCancelled')
  @OpenAIErrors(403, 404, ...KEYED_ERRORS)
  async remove(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    const r = await this.cancel(p, id);
    // Exactly spec 002's answer; `cancelled` is false when the response had already finished.
    return { id: r.id, cancelled: r.cancelled };
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel (OpenAI SDK `responses.cancel`): the response object' })
  @ApiParam({ name: 'id', example: 'gen_abc123xyz' })
  @ApiOk('ResponseObject')
  @OpenAIErrors(403, 404, ...KEYED_ERRORS)
  async cancelPost(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    const { cancelled: _c, ...response } = await this.cancel(p, id);
    return response;
  }

  private cancel(p: Principal, id: string) {
    return this.rt.downstream.call<CancelReply>(RPC.router.responseCancel, { orgId: p.orgId, id: checkId('generation', id, 'Response') });
  }

  @Get(':id/content')
  @ApiOperation({
    summary: 'Download the video or its artifact (or get a fresh link)',
    description:
      'variant=video (default) streams the stored MP4, variant=artifact the Lottie file (lottie engine); Range requests answer 206. With link=true: a fresh signed link with its true expiry. 409 until completed; 410 once its retention ended.',
  })
  @ApiParam({ name: 'id', example: 'gen_abc123xyz' })
  @ApiQuery({ name: 'variant', required: false, enum: ['video', 'artifact'] })
  @ApiQuery({ name: 'link', required: false, description: 'true: answer JSON with a fresh signed link instead of the bytes' })
  @ApiOkResponse({ description: 'The file (or, with link=true, an OutputLink)', content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } }, 'application/json': { schema: { $ref: '#/components/schemas/OutputLink' } } } })
  @ApiResponse({ status: 206, description: 'The requested byte range of the file', content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } } } })
  @OpenAIErrors(400, 403, 404, 409, 410, 416, ...KEYED_ERRORS)
  async content(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() q: Record<string, unknown>, @Req() req: { headers: Headers }, @Res() reply: StreamReply) {
    const variant = strQuery('variant', q.variant, 16) ?? 'video';
    if (variant !== 'video' && variant !== 'artifact') throw badRequestError('variant must be video or artifact', [{ field: 'variant', message: 'must be video or artifact' }]);
    const link = boolQuery('link', q.link) ?? false;
    const loc = await this.rt.downstream.call<OutputLocation>(RPC.router.outputGet, { orgId: p.orgId, id: checkId('generation', id, 'Response'), api: 'responses' });
    return this.rt.outputs.serve(
      loc,
      { endpoint: 'responses', kind: variant === 'artifact' ? 'artifact' : 'output', as: link ? 'link' : 'file', noun: `Response ${loc.id}`, pollPath: `/v1/responses/${loc.id}` },
      req.headers,
      reply,
    );
  }
}
