import { Controller, Get, Inject, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RPC } from '@pipevideo/contracts';
import { notFoundError } from '../http/api-error';
import { GatewayController, Public } from '../http/auth';
import { intQuery } from '../http/params';
import { ApiErrors, ApiOk } from '../openapi/decorators';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';

const MODEL_SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}(\/[A-Za-z0-9][A-Za-z0-9._:-]{0,99}){0,3}$/;

/**
 * Public catalog endpoints: no API key needed (like OpenRouter's model list), so docs pages and
 * tools can read prices. They are cheap reads served by the router from memory.
 */
@GatewayController()
@Public()
@Controller('v1')
export class CatalogController {
  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {}

  @Get('models')
  @ApiTags('Models')
  @ApiOperation({ summary: 'List video models with their routes and prices (public)', description: '`pricing` is what a default request costs (default duration and resolution, no audio); `pricing_by_resolution` gives every resolution.' })
  @ApiOk('ModelList')
  @ApiErrors(500, 503)
  models() {
    return this.rt.downstream.call(RPC.router.modelsList, {});
  }

  @Get('models/*')
  @ApiTags('Models')
  @ApiOperation({ summary: 'One model by slug, e.g. google/veo-3.1 (public)' })
  @ApiParam({ name: 'slug', type: String, description: 'Model slug; contains a slash, e.g. google/veo-3.1', example: 'google/veo-3.1' })
  @ApiOk('Model')
  @ApiErrors(404, 500, 503)
  model(@Param('*') slug: string) {
    if (typeof slug !== 'string' || !MODEL_SLUG.test(slug)) throw notFoundError(`Model ${JSON.stringify(String(slug ?? '').slice(0, 100))} not found. See GET /v1/models`);
    return this.rt.downstream.call(RPC.router.modelGet, { slug });
  }

  @Get('engines')
  @ApiTags('Responses')
  @ApiOperation({ summary: 'Rendering engines and their orchestration models with token prices (public)' })
  @ApiOk('EngineList')
  @ApiErrors(500, 503)
  engines() {
    return this.rt.downstream.call(RPC.router.enginesList, {});
  }

  @Get('apps/rankings')
  @ApiTags('Apps')
  @ApiOperation({
    summary: 'Top apps by completed generations (from attribution headers) (public)',
    description: 'An app is one organization\'s title and/or referer origin (never a path or query); only completed generations count; apps below min_generations are not shown; organizations that opted out never are.',
  })
  @ApiQuery({ name: 'window_hours', required: false, description: '1–2160, default 24' })
  @ApiQuery({ name: 'limit', required: false, description: '1–100, default 20' })
  @ApiOk('AppRankings')
  @ApiErrors(400, 500, 503)
  rankings(@Query() q: Record<string, unknown>) {
    const windowHours = intQuery('window_hours', q.window_hours, 24 * 90);
    const limit = intQuery('limit', q.limit, 100);
    return this.rt.downstream.call(RPC.router.rankings, { ...(windowHours ? { windowHours } : {}), ...(limit ? { limit } : {}) });
  }
}
