import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { Principal } from '../auth/key-authenticator';
import { CurrentPrincipal, GatewayController, ManagementKey, SessionRole } from '../http/auth';
import { checkId } from '../http/params';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { ApiCreated, ApiErrors, ApiOk, KEYED_ERRORS } from '../openapi/decorators';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';
import { validateDto } from '../validation/validate';
import { requireJsonObject } from '../validation/validate';
import { CreateKeyDto, createLimitOf, KeyLimitDto, keyLimitPatch } from './admin.controller';

export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

export class RotateKeyDto {
  @ApiPropertyOptional({ default: 0, maximum: MAX_GRACE_SECONDS, description: 'Seconds the old key keeps working (0: it stops at once).' })
  @IsOptional()
  @Max(MAX_GRACE_SECONDS, { message: `must be at most ${MAX_GRACE_SECONDS} seconds (7 days)` })
  @Min(0, { message: 'must be a non-negative integer number of seconds' })
  @IsInt({ message: 'must be a non-negative integer number of seconds' })
  grace_period_seconds?: number;
}

/** Key management for the caller's own organization; needs a management key. */
@ApiTags('API keys')
@GatewayController()
@ManagementKey()
@SessionRole('member')
@Controller('v1/keys')
export class KeysController {
  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {}

  @Get()
  @ApiOperation({ summary: "List the organization's API keys (never their secrets)" })
  @ApiOk('ApiKeyList')
  @ApiErrors(403, ...KEYED_ERRORS)
  async list(@CurrentPrincipal() p: Principal) {
    // Every key of the org in one page (an org has few): the list envelope with nothing more to fetch.
    return { object: 'list', data: await this.rt.keyLimits.withRemaining(p.orgId, await this.rt.orgs.listKeys(p.orgId)), has_more: false, next_cursor: null };
  }

  @Post()
  @SessionRole('admin')
  @Idempotent()
  @ApiOperation({ summary: 'Create an API key; the secret is in this answer only' })
  @ApiBody({ type: CreateKeyDto })
  @ApiCreated('IssuedApiKey')
  @ApiErrors(400, 403, 409, ...KEYED_ERRORS)
  create(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    const dto = validateDto(CreateKeyDto, requireJsonObject(body));
    return this.rt.orgs.issueApiKey(p.orgId, dto.name, dto.kind ?? 'standard', { rateLimitPerMinute: dto.rate_limit_per_minute ?? null, limit: createLimitOf(dto) });
  }

  @Patch(':id')
  @SessionRole('admin')
  @ApiOperation({ summary: "Set or remove a key's spend limit", description: 'limit_cents: cents per limit_reset period (null removes the limit). Spend already made in the current period keeps counting.' })
  @ApiParam({ name: 'id', example: 'key_8f2kLm' })
  @ApiBody({ type: KeyLimitDto })
  @ApiOk('ApiKeyWithRemaining')
  @ApiErrors(400, 403, 404, ...KEYED_ERRORS)
  async setLimit(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: unknown) {
    checkId('key', id);
    const view = await this.rt.orgs.setKeyLimit(p.orgId, id, keyLimitPatch(body));
    this.rt.auth.forget();
    const [withRemaining] = await this.rt.keyLimits.withRemaining(p.orgId, [view]);
    return withRemaining;
  }

  @Post(':id/rotate')
  @SessionRole('admin')
  @HttpCode(201)
  @Idempotent()
  @ApiOperation({ summary: 'Rotate a key: a new secret now; the old key stops at once or after grace_period_seconds' })
  @ApiParam({ name: 'id', example: 'key_8f2kLm' })
  @ApiBody({ type: RotateKeyDto, required: false })
  @ApiCreated('RotatedApiKey')
  @ApiErrors(400, 403, 404, 409, ...KEYED_ERRORS)
  async rotate(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: unknown) {
    checkId('key', id);
    const dto = validateDto(RotateKeyDto, body === undefined || body === null ? {} : requireJsonObject(body));
    const issued = await this.rt.orgs.rotateKey(p.orgId, id, dto.grace_period_seconds ?? 0);
    this.rt.auth.forget();
    return issued;
  }

  @Delete(':id')
  @SessionRole('admin')
  @ApiOperation({ summary: 'Revoke a key (every gateway replica refuses it within a second)' })
  @ApiParam({ name: 'id', example: 'key_8f2kLm' })
  @ApiOk('ApiKey')
  @ApiErrors(403, 404, ...KEYED_ERRORS)
  async revoke(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    const view = await this.rt.orgs.revokeKey(p.orgId, checkId('key', id));
    this.rt.auth.forget();
    return view;
  }
}
