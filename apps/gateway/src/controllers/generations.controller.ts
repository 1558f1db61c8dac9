import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { RPC } from '@pipevideo/contracts';
import type { Headers, StreamReply } from '../outputs/output-content';
import { boolQuery } from '../http/params';
import { GenerationPush } from '../push/generation-push';
import type { HijackableReply } from '../push/sse-stream';

/** Longest long-poll (`?wait=N`). */
export const MAX_WAIT_SECONDS = 60;
import type { Principal } from '../auth/key-authenticator';
import { createEnvelope } from '../http/create-envelope';
import { CurrentPrincipal, GatewayController, SessionRole, StandardKey } from '../http/auth';
import { checkId, intQuery, strQuery, timeQuery } from '../http/params';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { ApiErrors, ApiOk, KEYED_ERRORS } from '../openapi/decorators';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';
import { CreateVideoGenerationDto, parseVideoGenerationBody } from '../validation/video-generation.dto';

/** Video generations API (spec 003/004): validate, attribute, forward to the router. */
@ApiTags('Video generations')
@GatewayController()
@StandardKey()
@SessionRole('member')
@Controller('v1/video/generations')
export class GenerationsController {
  private readonly push: GenerationPush;

  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {
    this.push = new GenerationPush(rt);
  }

  @Post()
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ summary: 'Create a video generation', description: 'Queues a generation; poll GET /v1/video/generations/{id} or use webhooks. The hold for the first affordable route is placed before the answer: an org that cannot afford any candidate gets 400 insufficient balance. Fields this API does not define are refused (400); model-specific options go in `options` (see GET /v1/models).' })
  @ApiBody({ type: CreateVideoGenerationDto })
  @ApiOk('VideoGenerationCreated')
  @ApiErrors(400, 403, 409, 413, 415, ...KEYED_ERRORS)
  async create(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Req() req: { headers: Record<string, string | string[] | undefined> }) {
    const request = parseVideoGenerationBody(body);
    const created = await this.rt.create(RPC.router.generationCreate, { ...createEnvelope(p, req.headers), request });
    // Made through the dashboard: the org's dashboard key carries the money; this records the person.
    if (p.user && created?.id) await this.rt.accounts.attribution.recordGeneration(created.id, p.orgId, p.user.id);
    return created;
  }

  @Get()
  @ApiOperation({ summary: 'List your generations, newest first' })
  @ApiQuery({ name: 'limit', required: false, description: '1–100, default 20' })
  @ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page' })
  @ApiQuery({ name: 'before', required: false, description: 'Only generations created before this time (unix seconds or ISO 8601)' })
  @ApiOk('VideoGenerationList')
  @ApiErrors(400, 403, ...KEYED_ERRORS)
  list(@CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    const limit = intQuery('limit', q.limit, 100);
    const before = timeQuery('before', q.before);
    const cursor = strQuery('cursor', q.cursor, 512);
    return this.rt.downstream.call(RPC.router.generationList, { orgId: p.orgId, ...(limit ? { limit } : {}), ...(before ? { before } : {}), ...(cursor ? { cursor } : {}) });
  }

  @Get(':id')
  @ApiOperation({ summary: 'Poll a generation', description: 'With wait=N (1–60): long-poll — answers as soon as the status changes (at once when it is final), else after N seconds with the state then.' })
  @ApiParam({ name: 'id', example: 'gen_abc123xyz' })
  @ApiQuery({ name: 'wait', required: false, description: 'Seconds to wait for a status change (1–60)' })
  @ApiOk('VideoGeneration')
  @ApiErrors(400, 403, 404, ...KEYED_ERRORS)
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() q: Record<string, unknown>) {
    const checked = checkId('generation', id);
    const wait = intQuery('wait', q.wait, MAX_WAIT_SECONDS, 0);
    if (wait) return this.push.waitVideo(p.orgId, checked, wait);
    // From the gateway's view of generations when it has this one (kept current by generation.updated).
    return this.rt.edge.poll('generation', p.orgId, checked, () => this.rt.downstream.call(RPC.router.generationGet, { orgId: p.orgId, id: checked }));
  }

  @Get(':id/events')
  @ApiOperation({
    summary: 'Stream status changes (Server-Sent Events)',
    description:
      'text/event-stream: `generation.<status>` (data: the poll object) at once and at every status change, `generation.progress` when only progress, phase or queue position moved; the stream ends after the final status. Pushed from the lifecycle events the gateway receives. At most PIPEVIDEO_SSE_MAX_PER_KEY open streams per API key (429 beyond).',
  })
  @ApiParam({ name: 'id', example: 'gen_abc123xyz' })
  @ApiOkResponse({
    description: 'An event stream',
    content: { 'text/event-stream': { schema: { type: 'string', description: 'Server-Sent Events: `event: generation.<status>` or `generation.progress`, `id:` 0, 1, …, `data:` a VideoGeneration (the poll object, #/components/schemas/VideoGeneration).' } } },
  })
  @ApiErrors(403, 404, ...KEYED_ERRORS)
  async events(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Res() reply: HijackableReply) {
    await this.push.streamVideo(p.keyId, p.orgId, checkId('generation', id), reply);
  }

  @Get(':id/content')
  @ApiOperation({
    summary: 'Download the output (or get a fresh link)',
    description:
      'Streams the stored video (Range requests answer 206, so players can seek), or with link=true answers a fresh signed link with its true expiry. 409 until the generation is completed; 410 once its retention ended (the file is deleted).',
  })
  @ApiParam({ name: 'id', example: 'gen_abc123xyz' })
  @ApiQuery({ name: 'link', required: false, description: 'true: answer JSON with a fresh signed link instead of the bytes' })
  @ApiOkResponse({ description: 'The file (or, with link=true, an OutputLink)', content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } }, 'video/webm': { schema: { type: 'string', format: 'binary' } }, 'application/json': { schema: { $ref: '#/components/schemas/OutputLink' } } } })
  @ApiResponse({ status: 206, description: 'The requested byte range of the file', content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } } } })
  @ApiErrors(400, 403, 404, 409, 410, 416, ...KEYED_ERRORS)
  async content(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() q: Record<string, unknown>, @Req() req: { headers: Headers }, @Res() reply: StreamReply) {
    const link = boolQuery('link', q.link) ?? false;
    const loc = await this.rt.downstream.call(RPC.router.outputGet, { orgId: p.orgId, id: checkId('generation', id), api: 'video' });
    return this.rt.outputs.serve(loc, { endpoint: 'generations', kind: 'output', as: link ? 'link' : 'file', noun: `Generation ${loc.id}`, pollPath: `/v1/video/generations/${loc.id}` }, req.headers, reply);
  }
}
