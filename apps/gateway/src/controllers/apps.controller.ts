import { Body, Controller, Get, Inject, Patch } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';
import { RPC } from '@pipevideo/contracts';
import type { Principal } from '../auth/key-authenticator';
import { CurrentPrincipal, GatewayController, StandardKey } from '../http/auth';
import { ApiErrors, ApiOk, KEYED_ERRORS } from '../openapi/decorators';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';
import { requireJsonObject, validateDto } from '../validation/validate';

export class RankingsSettingsDto {
  @ApiProperty({ example: true, description: 'true: the organization\'s apps never appear in the public rankings (at once, past generations included); false: listed again.' })
  @IsBoolean({ message: 'is required: true to leave the public rankings, false to be listed' })
  opt_out!: boolean;
}

/** The caller's org and the public app rankings (router): see or change whether its apps are listed. */
@ApiTags('Apps')
@GatewayController()
@StandardKey()
@Controller('v1/apps/rankings/settings')
export class AppsController {
  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {}

  @Get()
  @ApiOperation({ summary: "Whether your organization's apps are left out of the public rankings" })
  @ApiOk('RankingsSettings')
  @ApiErrors(403, ...KEYED_ERRORS)
  get(@CurrentPrincipal() p: Principal) {
    return this.rt.downstream.call(RPC.router.rankingsSettingsGet, { orgId: p.orgId });
  }

  @Patch()
  @ApiOperation({ summary: "Opt your organization's apps out of the public rankings (or back in)" })
  @ApiBody({ type: RankingsSettingsDto })
  @ApiOk('RankingsSettings')
  @ApiErrors(400, 403, ...KEYED_ERRORS)
  update(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    const dto = validateDto(RankingsSettingsDto, requireJsonObject(body));
    return this.rt.downstream.call(RPC.router.rankingsSettingsUpdate, { orgId: p.orgId, optOut: dto.opt_out });
  }
}
