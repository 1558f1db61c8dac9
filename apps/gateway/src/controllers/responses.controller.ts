import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { RPC } from '@pipevideo/contracts';
import type { Headers, StreamReply } from '../outputs/output-content';
import { badRequestError } from '../http/api-error';
import { boolQuery, intQuery, strQuery } from '../http/params';
import { GenerationPush } from '../push/generation-push';
import type { HijackableReply } from '../push/sse-stream';
import { MAX_WAIT_SECONDS } from './generations.controller';

/** `stream: true` asks for Server-Sent Events (OpenAI's Responses streaming); any other value than a boolean is the validator's 400. */
const wantsStream = (body: unknown) => !!body && typeof body === 'object' && (body as { stream?: unknown }).stream === true;
import type { Principal } from '../auth/key-authenticator';
import { createEnvelope } from '../http/create-envelope';
import { CurrentPrincipal, GatewayController, StandardKey } from '../http/auth';
import { checkId } from '../http/params';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { ApiOk, OpenAIErrors, KEYED_ERRORS } from '../openapi/decorators';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';
import { CreateResponseDto, parseResponseBody } from '../validation/response.dto';

/** OpenAI Responses-compatible API (spec 001/002). Errors in OpenAI's shape. */
@ApiTags('Responses')
@GatewayController()
@StandardKey()
@Controller('v1/responses')
export class ResponsesController {
  private readonly push: GenerationPush;

  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {
    this.push = new GenerationPush(rt);
  }

  @Post()
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({
    summary: 'Create a video generation (Responses API)',
    description:
      'Returns the response object with status "queued"; poll GET /v1/responses/{id} (wait=N long-polls). With stream: true the answer is text/event-stream in OpenAI\'s Responses streaming shape: response.created, response.in_progress (again at each progress change), then response.completed, response.failed or response.incomplete, each with type, sequence_number and the response object.',
  })
  @ApiBody({ type: CreateResponseDto })
  @ApiOk('ResponseObject')
  @OpenAIErrors(400, 403, 409, 413, 415, ...KEYED_ERRORS)
  async create(
    @CurrentPrincipal() p: Principal,
    @Body() body: unknown,
    @Req() req: { headers: Record<string, string | string[] | undefined> },
    @Res({ passthrough: true }) reply: HijackableReply,
  ) {
    const stream = wantsStream(body);
    if (stream && req.headers['idempotency-key'] !== undefined)
      throw badRequestError('Idempotency-Key cannot be used with stream: true (a stream cannot be replayed). Create without stream, then follow GET /v1/responses/{id}?wait=60.', [{ field: 'stream', message: 'not with Idempotency-Key' }]);
    const request = parseResponseBody(body, { maxOutputTokens: this.rt.cfg.responsesMaxOutputTokensLimit });
    const created = await this.rt.create(RPC.router.responseCreate, { ...createEnvelope(p, req.headers), request });
    if (!stream) return created;
    await this.push.streamResponse(p.keyId, p.orgId, created, reply);
    return undefined;
  }

  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a response (poll until completed or failed)', description: 'With wait=N (1–60): long-poll — answers as soon as the status changes (at once when it is final), else after N seconds.' })
  @ApiParam({ name: 'id', example: 'gen_abc123xyz' })
  @ApiQuery({ name: 'wait', required: false, description: 'Seconds to wait for a status change (1–60)' })
  @ApiOk('ResponseObject')
  @OpenAIErrors(400, 403, 404, ...KEYED_ERRORS)
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() q: Record<string, unknown>) {
    const checked = checkId('generation', id, 'Response');
    const wait = intQuery('wait', q.wait, MAX_WAIT_SECONDS, 0);
    if (wait) return this.push.waitResponse(p.orgId, checked, wait);
    // From the gateway's view of generations when it has this one (kept current by generation.updated).
    return this.rt.edge.poll('response', p.orgId, checked, () => this.rt.downstream.call(RPC.router.responseGet, { orgId: p.orgId, id: checked }));
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
    const checked = checkId('generation', id, 'Response');
    return this.rt.edge.changed(checked, this.rt.downstream.call(RPC.router.responseCancel, { orgId: p.orgId, id: checked }));
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
    const loc = await this.rt.downstream.call(RPC.router.outputGet, { orgId: p.orgId, id: checkId('generation', id, 'Response'), api: 'responses' });
    return this.rt.outputs.serve(
      loc,
      { endpoint: 'responses', kind: variant === 'artifact' ? 'artifact' : 'output', as: link ? 'link' : 'file', noun: `Response ${loc.id}`, pollPath: `/v1/responses/${loc.id}` },
      req.headers,
      reply,
    );
  }
}
