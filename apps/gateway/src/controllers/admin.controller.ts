import { Body, Controller, Headers, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { BalanceView, KEY_LIMIT_RESETS, type KeyLimitReset, RPC, TopupReply } from '@pipevideo/contracts';
import { GatewayController, OperatorToken } from '../http/auth';
import { checkId } from '../http/params';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { ApiErrors } from '../openapi/decorators';
import { ApiKeySchema, BalanceSchema, IssuedApiKeySchema, OrganizationSchema } from '../openapi/schemas';
import { GATEWAY_RUNTIME, GatewayRuntime } from '../runtime';
import { invalid, requireJsonObject, validateDto } from '../validation/validate';
import { randomUUID } from 'node:crypto';

export const MAX_RATE_LIMIT = 1_000_000;
export const MAX_KEY_LIMIT_CENTS = 1_000_000_000;

export class CreateOrgDto {
  @ApiProperty({ example: 'Acme', maxLength: 200 })
  @MaxLength(200, { message: 'must be at most 200 characters' })
  @Matches(/\S/, { message: 'must not be blank' })
  @IsString({ message: 'is required: the organization name' })
  name!: string;

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Requests per minute per key for this org (default: the gateway default).' })
  @IsOptional()
  @Max(MAX_RATE_LIMIT, { message: `must be at most ${MAX_RATE_LIMIT}` })
  @Min(1, { message: 'must be a positive integer' })
  @IsInt({ message: 'must be a positive integer' })
  rate_limit_per_minute?: number | null;
}

export class UpdateOrgDto {
  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Requests per minute per key; null restores the default.' })
  @IsOptional()
  @Max(MAX_RATE_LIMIT, { message: `must be at most ${MAX_RATE_LIMIT}` })
  @Min(1, { message: 'must be a positive integer' })
  @IsInt({ message: 'must be a positive integer or null' })
  rate_limit_per_minute?: number | null;
}

export class CreateKeyDto {
  @ApiProperty({ example: 'production', maxLength: 200 })
  @MaxLength(200, { message: 'must be at most 200 characters' })
  @Matches(/\S/, { message: 'must not be blank' })
  @IsString({ message: 'is required: a name to recognise the key by' })
  name!: string;

  @ApiPropertyOptional({ enum: ['standard', 'management'], default: 'standard', description: 'standard: the API; management: key management only.' })
  @IsOptional()
  @IsIn(['standard', 'management'], { message: "must be 'standard' or 'management'" })
  kind?: 'standard' | 'management';

  @ApiPropertyOptional({ type: Number, description: 'Requests per minute for this key (default: the org’s, else the gateway’s).' })
  @IsOptional()
  @Max(MAX_RATE_LIMIT, { message: `must be at most ${MAX_RATE_LIMIT}` })
  @Min(1, { message: 'must be a positive integer' })
  @IsInt({ message: 'must be a positive integer' })
  rate_limit_per_minute?: number;

  @ApiPropertyOptional({ type: Number, example: 5000, maximum: MAX_KEY_LIMIT_CENTS, description: 'Spend limit in cents per limit_reset period: a create that would pass it is refused (400 naming the limit and when it resets).' })
  @IsOptional()
  @Max(MAX_KEY_LIMIT_CENTS, { message: `must be at most ${MAX_KEY_LIMIT_CENTS} cents` })
  @Min(0, { message: 'must be a non-negative integer number of cents' })
  @IsInt({ message: 'must be a non-negative integer number of cents' })
  limit_cents?: number;

  @ApiPropertyOptional({ enum: KEY_LIMIT_RESETS, default: 'none', description: 'daily, weekly, monthly (UTC calendar periods) or none.' })
  @IsOptional()
  @IsIn(KEY_LIMIT_RESETS, { message: `must be one of ${KEY_LIMIT_RESETS.join(', ')}` })
  limit_reset?: KeyLimitReset;
}

/** A key's spend limit (create and PATCH of keys, both APIs). */
export class KeyLimitDto {
  @ApiPropertyOptional({ type: Number, nullable: true, example: 5000, maximum: MAX_KEY_LIMIT_CENTS, description: 'Cents the key may spend per limit_reset period (holds of running jobs count). null or absent: no limit.' })
  @IsOptional()
  @Max(MAX_KEY_LIMIT_CENTS, { message: `must be at most ${MAX_KEY_LIMIT_CENTS} cents` })
  @Min(0, { message: 'must be a non-negative integer number of cents' })
  @IsInt({ message: 'must be a non-negative integer number of cents' })
  limit_cents?: number | null;

  @ApiPropertyOptional({ enum: KEY_LIMIT_RESETS, default: 'none', description: 'When the limit starts over: daily (00:00 UTC), weekly (Monday 00:00 UTC), monthly (the 1st, 00:00 UTC), or none (the key’s whole life).' })
  @IsOptional()
  @IsIn(KEY_LIMIT_RESETS, { message: `must be one of ${KEY_LIMIT_RESETS.join(', ')}` })
  limit_reset?: KeyLimitReset;
}

/**
 * The spend limit a PATCH body sets: `limit_cents` (a number, or null to remove the limit) and
 * optionally `limit_reset`. Read before the body's nulls are dropped: here null means "remove".
 */
export function keyLimitPatch(body: unknown): { limitCents: number | null; reset?: KeyLimitReset } {
  const removes = !!body && typeof body === 'object' && !Array.isArray(body) && (body as Record<string, unknown>).limit_cents === null;
  const dto = validateDto(KeyLimitDto, requireJsonObject(body));
  if (!removes && dto.limit_cents === undefined) throw invalid([{ field: 'limit_cents', message: 'limit_cents is required: cents per limit_reset period, or null to remove the limit' }]);
  return { limitCents: removes ? null : dto.limit_cents!, ...(dto.limit_reset ? { reset: dto.limit_reset } : {}) };
}

export class CreditsDto {
  @ApiProperty({ example: 1000, description: 'Cents to add (positive integer).' })
  @Max(100_000_000, { message: 'must be at most 100000000 cents per top-up' })
  @Min(1, { message: 'must be a positive integer number of cents' })
  @IsInt({ message: 'must be a positive integer number of cents' })
  amount_cents!: number;

  @ApiPropertyOptional({ description: 'Same key → the top-up is applied once (also taken from the Idempotency-Key header).' })
  @IsOptional()
  @MaxLength(255, { message: 'must be at most 255 characters' })
  @IsNotEmpty({ message: 'must not be empty' })
  @IsString({ message: 'must be a string' })
  idempotency_key?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional()
  @MaxLength(500, { message: 'must be at most 500 characters' })
  @IsString({ message: 'must be a string' })
  note?: string;
}

/** Operator API: create orgs, issue keys, add credits. Guarded by PIPEVIDEO_ADMIN_TOKEN. */
@ApiTags('Operator')
@GatewayController()
@OperatorToken()
@Controller('admin/orgs')
export class AdminController {
  constructor(@Inject(GATEWAY_RUNTIME) private readonly rt: GatewayRuntime) {}

  @Post()
  @Idempotent()
  @ApiOperation({ summary: 'Create an organization (operator)' })
  @ApiBody({ type: CreateOrgDto })
  @ApiCreatedResponse({ type: OrganizationSchema })
  @ApiErrors(400, 401, 409, 500)
  createOrg(@Body() body: unknown) {
    const dto = validateDto(CreateOrgDto, requireJsonObject(body));
    return this.rt.orgs.createOrg(dto.name, { rateLimitPerMinute: dto.rate_limit_per_minute ?? null });
  }

  @Patch(':orgId')
  @ApiOperation({ summary: "Change an organization's rate limit (operator)" })
  @ApiBody({ type: UpdateOrgDto })
  @ApiOkResponse({ type: OrganizationSchema })
  @ApiErrors(400, 401, 404, 500)
  async updateOrg(@Param('orgId') orgId: string, @Body() body: unknown) {
    const raw = requireJsonObject(body);
    const dto = validateDto(UpdateOrgDto, { ...raw, rate_limit_per_minute: raw.rate_limit_per_minute === null ? undefined : raw.rate_limit_per_minute });
    return this.rt.orgs.setOrgRateLimit(checkId('org', orgId), dto.rate_limit_per_minute ?? null);
  }

  @Post(':orgId/keys')
  @Idempotent()
  @ApiOperation({ summary: 'Issue an API key for an organization (operator); the secret is shown once' })
  @ApiBody({ type: CreateKeyDto })
  @ApiCreatedResponse({ type: IssuedApiKeySchema })
  @ApiErrors(400, 401, 404, 409, 500)
  issueKey(@Param('orgId') orgId: string, @Body() body: unknown) {
    checkId('org', orgId);
    const dto = validateDto(CreateKeyDto, requireJsonObject(body));
    return this.rt.orgs.issueApiKey(orgId, dto.name, dto.kind ?? 'standard', { rateLimitPerMinute: dto.rate_limit_per_minute ?? null, limit: createLimitOf(dto) });
  }

  @Patch(':orgId/keys/:keyId')
  @ApiOperation({ summary: "Set or remove a key's spend limit (operator)" })
  @ApiBody({ type: KeyLimitDto })
  @ApiOkResponse({ type: ApiKeySchema })
  @ApiErrors(400, 401, 404, 500)
  async setKeyLimit(@Param('orgId') orgId: string, @Param('keyId') keyId: string, @Body() body: unknown) {
    checkId('org', orgId);
    const view = await this.rt.orgs.setKeyLimit(orgId, checkId('key', keyId), keyLimitPatch(body));
    this.rt.auth.forget();
    return view;
  }

  @Post(':orgId/credits')
  @Idempotent()
  @ApiOperation({ summary: 'Add credits to an organization (operator): a billing top-up with source "operator"' })
  @ApiBody({ type: CreditsDto })
  @ApiCreatedResponse({ type: BalanceSchema })
  @ApiErrors(400, 401, 404, 409, 500, 503)
  async credits(@Param('orgId') orgId: string, @Body() body: unknown, @Headers('idempotency-key') headerKey?: string) {
    await this.rt.orgs.requireOrg(checkId('org', orgId));
    const dto = validateDto(CreditsDto, requireJsonObject(body));
    // Billing de-duplicates top-ups by key: without one from the caller, each request is a new top-up.
    const idempotencyKey = dto.idempotency_key ?? (headerKey ? `hdr:${headerKey}` : `op:${randomUUID()}`);
    const reply = await this.rt.downstream.call<Partial<TopupReply>>(RPC.billing.topupCreate, {
      orgId,
      amountCents: dto.amount_cents,
      idempotencyKey,
      source: 'operator',
      ...(dto.note ? { note: dto.note } : {}),
    });
    return reply?.balance ?? this.rt.downstream.call<BalanceView>(RPC.billing.balanceGet, { orgId });
  }
}

/** The spend limit of a create-key body (none when limit_cents is absent; limit_reset alone is a 400). */
export function createLimitOf(dto: CreateKeyDto): { limitCents: number | null; reset?: KeyLimitReset } | undefined {
  if (dto.limit_cents === undefined && dto.limit_reset === undefined) return undefined;
  return { limitCents: dto.limit_cents ?? null, ...(dto.limit_reset ? { reset: dto.limit_reset } : {}) };
}
