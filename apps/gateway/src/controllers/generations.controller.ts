import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RPC } from '@pipevideo/contracts';
import { keyOfCreate, type Principal } from '../auth/key-authenticator';
import { attributionFrom } from '../http/attribution';
import { CurrentPrincipal, GatewayController, StandardKey } from '../http/auth';
import { checkId, intQuery, strQuery, timeQuery } from '../http/params';
import { forwardedIdempotencyKey, Idempotent } from '../idempotency/idempotency.interceptor';
import { ApiErrors, ApiOk, KEYED_ERRORS } from '../openapi/decorators';
import { GATEWAY_RUNTIME, GatewayRuntime } from '../runtime';
import { CreateVideoGenerationDto, parseVideoGenerationBody } from '../validation/video-generation.dto';

/** Video generations API (spec 003/004): validate, attribute, forward to the router. */
@ApiTags('Video generations')
@GatewayController()
@StandardKey()
@Controller('v1/video/generations')
export class GenerationsController {
  constructor(@Inject(GATEWAY_RUNTIME) private readonly rt: GatewayRuntime) {}

  @Post()
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ summary: 'Create a video generation', description: 'Queues a generation; poll GET /v1/video/generations/{id} or use webhooks. The hold for the first affordable route is placed before the answer: an org that cannot afford any candidate gets 400 insufficient balance. Fields this API does not define are refused (400); model-specific options go in `options` (see GET /v1/models).' })
  @ApiBody({ type: CreateVideoGenerationDto })
  @ApiOk('VideoGenerationCreated')
  @ApiErrors(400, 403, 409, 413, 415, ...KEYED_ERRORS)
  async create(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Req() req: { headers: Record<string, string | string[] | undefined> }) {
    const request = parseVideoGenerationBody(body);
    const attribution = attributionFrom(req.headers);
    return this.rt.create(RPC.router.generationCreate, { orgId: p.orgId, request, maxInFlight: p.maxConcurrentGenerations, ...(attribution ? { attribution } : {}), ...forwardedIdempotencyKey(req.headers), ...keyOfCreate(p) });
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
  @ApiOperation({ summary: 'Poll a generation' })
  @ApiParam({ name: 'id', example: 'gen_abc123xyz' })
  @ApiOk('VideoGeneration')
  @ApiErrors(403, 404, ...KEYED_ERRORS)
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    const checked = checkId('generation', id);
    // From the gateway's view of generations when it has this one (kept current by generation.updated).
    return this.rt.edge.poll('generation', p.orgId, checked, () => this.rt.downstream.call(RPC.router.generationGet, { orgId: p.orgId, id: checked }));
  }
}
