import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RPC } from '@pipevideo/contracts';
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
    const checked = checkId('generation', id, 'Response');
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
    return this.rt.edge.changed(checked, this.rt.downstream.call<CancelReply>(RPC.router.responseCancel, { orgId: p.orgId, id: checked }));
  }
}
