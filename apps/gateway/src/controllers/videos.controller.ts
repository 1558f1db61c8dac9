import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ErrorCode, RPC } from '@pipevideo/contracts';
import type { Headers, StreamReply } from '../outputs/output-content';
import type { Principal } from '../auth/key-authenticator';
import { ApiError, badRequestError } from '../http/api-error';
import { createEnvelope } from '../http/create-envelope';
import { CurrentPrincipal, GatewayController, StandardKey } from '../http/auth';
import { UploadedFile } from '../http/multipart';
import { checkId, intQuery, strQuery } from '../http/params';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { ApiOk, KEYED_ERRORS, OpenAIErrors } from '../openapi/decorators';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';
import { CreateOpenAIVideoDto, parseOpenAIVideoBody } from '../validation/openai-video.dto';
import { VideoMetrics } from '../videos/video-metrics';


const VARIANTS = ['video', 'thumbnail', 'spritesheet'];

/**
 * OpenAI's Videos API (`client.videos.*` of the official SDKs), as a face of the video generations:
 * one lifecycle (routing, holds, billing, webhooks) behind `/v1/video/generations` and `/v1/videos`.
 * Errors in OpenAI's shape.
 */
@ApiTags('Videos (OpenAI-compatible)')
@GatewayController()
@StandardKey()
@Controller('v1/videos')
export class VideosController {
  private readonly metrics: VideoMetrics;

  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {
    this.metrics = new VideoMetrics(rt.ctx.metrics.registry);
  }

  @Post()
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({
    summary: 'Create a video (OpenAI Videos API)',
    description: 'JSON or multipart/form-data (what the OpenAI SDK sends). The same generation as POST /v1/video/generations: the hold is placed before the answer (400 insufficient balance otherwise).',
  })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({ type: CreateOpenAIVideoDto })
  @ApiOk('OpenAIVideo')
  @OpenAIErrors(400, 403, 409, 413, 415, ...KEYED_ERRORS)
  create(@CurrentPrincipal() p: Principal, @Body() body: unknown, @Req() req: { headers: Headers }) {
    const request = parseOpenAIVideoBody(body);
    const ref = body && typeof body === 'object' ? (body as Record<string, unknown>).input_reference : undefined;
    this.metrics.creates.inc({ input_reference: ref instanceof UploadedFile ? 'upload' : request.imageUrl ? 'url' : 'none' });
    return this.rt.create(RPC.router.videoCreate, { ...createEnvelope(p, req.headers), request });
  }

  @Get()
  @ApiOperation({ summary: 'List videos (OpenAI cursor list: pass last_id as `after`)' })
  @ApiQuery({ name: 'limit', required: false, description: '1–100, default 20' })
  @ApiQuery({ name: 'after', required: false, description: 'Id of the last video of the previous page' })
  @ApiQuery({ name: 'order', required: false, enum: ['asc', 'desc'], description: 'By creation time; default desc (newest first)' })
  @ApiOk('OpenAIVideoList')
  @OpenAIErrors(400, 403, ...KEYED_ERRORS)
  list(@CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    const limit = intQuery('limit', q.limit, 100);
    const order = strQuery('order', q.order, 8);
    if (order !== undefined && order !== 'asc' && order !== 'desc') throw badRequestError('order must be asc or desc', [{ field: 'order', message: 'order must be asc or desc' }]);
    const after = strQuery('after', q.after, 128);
    if (after !== undefined) checkAfter(after);
    return this.rt.downstream.call(RPC.router.videoList, { orgId: p.orgId, ...(limit ? { limit } : {}), ...(order ? { order } : {}), ...(after ? { after } : {}) });
  }

  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a video (poll until completed or failed)' })
  @ApiParam({ name: 'id', example: 'gen_abc123xyz' })
  @ApiOk('OpenAIVideo')
  @OpenAIErrors(403, 404, ...KEYED_ERRORS)
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    const checked = checkId('generation', id, 'Video');
    // From the gateway's view of generations when it has this one (kept current by generation.updated).
    return this.rt.edge.poll('video', p.orgId, checked, () => this.rt.downstream.call(RPC.router.videoGet, { orgId: p.orgId, id: checked }));
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Delete a video',
    description: 'A queued or running video is cancelled first (hold released, nothing charged, provider asked to stop; webhook status cancelled). The video then disappears from every face of the API (404, left out of lists); billing and usage keep their records.',
  })
  @ApiParam({ name: 'id', example: 'gen_abc123xyz' })
  @ApiOk('OpenAIVideoDeleted')
  @OpenAIErrors(403, 404, ...KEYED_ERRORS)
  remove(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    const checked = checkId('generation', id, 'Video');
    return this.rt.edge.changed(checked, this.rt.downstream.call(RPC.router.videoDelete, { orgId: p.orgId, id: checked }));
  }

  @Get(':id/content')
  @ApiOperation({ summary: 'Download the video file (MP4), streamed', description: 'Only variant=video exists. Streams our stored copy; Range requests answer 206 (players seek). 409 until the video is completed; 410 once its retention ended (the file is deleted).' })
  @ApiParam({ name: 'id', example: 'gen_abc123xyz' })
  @ApiQuery({ name: 'variant', required: false, enum: VARIANTS })
  @ApiOkResponse({ description: 'The video file', content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } } } })
  @ApiResponse({ status: 206, description: 'The requested byte range of the file', content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } } } })
  @OpenAIErrors(400, 403, 404, 409, 410, 416, ...KEYED_ERRORS)
  async content(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() q: Record<string, unknown>, @Req() req: { headers: Headers }, @Res() reply: StreamReply) {
    const variant = strQuery('variant', q.variant, 32) ?? 'video';
    if (variant !== 'video') {
      this.metrics.contentRequests.inc({ outcome: 'unsupported_variant' });
      const message = VARIANTS.includes(variant) ? `variant ${variant} is not available: Pipevideo keeps the video only (variant=video)` : 'variant must be video';
      throw badRequestError(message, [{ field: 'variant', message }]);
    }
    const loc = await this.rt.downstream.call(RPC.router.outputGet, { orgId: p.orgId, id: checkId('generation', id, 'Video'), api: 'video' });
    // The stored file (Range supported); rows older than our storage stream the provider's URL as before.
    return this.rt.outputs
      .serve(loc, { endpoint: 'videos', kind: 'output', as: 'file', noun: `Video ${loc.id}`, pollPath: `/v1/videos/${loc.id}`, openaiCodes: true }, req.headers, reply)
      .then((r) => {
        this.metrics.contentRequests.inc({ outcome: 'streamed' });
        return r;
      })
      .catch((err) => {
        this.metrics.contentRequests.inc({ outcome: err instanceof ApiError && err.code === ErrorCode.CONFLICT ? 'not_ready' : err instanceof ApiError && err.code === ErrorCode.GONE ? 'expired' : 'unavailable' });
        throw err;
      });
  }
}

/** An `after` that is not a video id cannot name a page: 400 at once (an id of ours that is not the org's is the router's 400). */
function checkAfter(after: string): void {
  try {
    checkId('generation', after);
  } catch {
    const message = 'after must be the id of a video (last_id of the previous page)';
    throw badRequestError(message, [{ field: 'after', message }]);
  }
}
