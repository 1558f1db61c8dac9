import { Body, Controller, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags, OmitType } from '@nestjs/swagger';
import { IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { KEY_LIMIT_RESETS, type KeyLimitReset, RPC } from '@pipevideo/contracts';
import { GatewayController, OperatorToken } from '../http/auth';
import { checkId } from '../http/params';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { ApiCreated, ApiErrors, ApiOk } from '../openapi/decorators';
import type { OrgLimits } from '../orgs/org.service';
import { auditContext, OperatorRequest } from '../audit/audit-context';
import { intQuery, strQuery } from '../http/params';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';
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

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Requests per minute of the whole org, summed over its keys (default: PIPEVIDEO_ORG_RATE_LIMIT_PER_MINUTE).' })
  @IsOptional()
  @Max(MAX_RATE_LIMIT, { message: `must be at most ${MAX_RATE_LIMIT}` })
  @Min(1, { message: 'must be a positive integer' })
  @IsInt({ message: 'must be a positive integer' })
  org_rate_limit_per_minute?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Live API keys the org may hold (default: PIPEVIDEO_MAX_KEYS_PER_ORG).' })
  @IsOptional()
  @Max(10_000, { message: 'must be at most 10000' })
  @Min(1, { message: 'must be a positive integer' })
  @IsInt({ message: 'must be a positive integer' })
  max_keys?: number | null;

  @ApiPropertyOptional({ type: Number, nullable: true, description: 'Generations pending or processing at once (default: PIPEVIDEO_MAX_CONCURRENT_GENERATIONS).' })
  @IsOptional()
  @Max(100_000, { message: 'must be at most 100000' })
  @Min(1, { message: 'must be a positive integer' })
  @IsInt({ message: 'must be a positive integer' })
  max_concurrent_generations?: number | null;
}

/** PATCH: the same limits, each optional; null restores the gateway default. */
export class UpdateOrgDto extends OmitType(CreateOrgDto, ['name'] as const) {}

export class SuspendOrgDto {
  @ApiProperty({ example: 'Payment dispute; contact billing@', maxLength: 500, description: 'Shown to the org in the 403 its keys get.' })
  @MaxLength(500, { message: 'must be at most 500 characters' })
  @Matches(/\S/, { message: 'must not be blank' })
  @IsString({ message: 'is required: why the organization is suspended (its keys are told)' })
  reason!: string;
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

/** The limits of a create/update DTO as OrgService takes them: absent stays absent (unchanged), null restores the default. */
function limitsOf(dto: Partial<CreateOrgDto>, nulls: Set<string>): OrgLimits {
  const pick = (field: keyof CreateOrgDto) => (nulls.has(field) ? null : (dto[field] as number | undefined));
  return {
    rateLimitPerMinute: pick('rate_limit_per_minute'),
    orgRateLimitPerMinute: pick('org_rate_limit_per_minute'),
    maxKeys: pick('max_keys'),
    maxConcurrentGenerations: pick('max_concurrent_generations'),
  };
}

/**
 * The fields sent as null. Read before requireJsonObject, which drops nulls (an optional field sent as
 * null is "not given" everywhere else): here null means "restore the default".
 */
const nullFields = (body: unknown) =>
  new Set(body && typeof body === 'object' && !Array.isArray(body) ? Object.entries(body).filter(([, v]) => v === null).map(([k]) => k) : []);

/**
 * Operator API: orgs (limits, suspension), keys (issue, list, revoke any), credits, and the audit log
 * every state-changing call here writes to. Guarded by PIPEVIDEO_ADMIN_TOKEN.
 */
@ApiTags('Operator')
@GatewayController()
@OperatorToken()
@Controller('admin')
export class AdminController {
  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {}

  @Post('orgs')
  @Idempotent()
  @ApiOperation({ summary: 'Create an organization (operator)' })
  @ApiBody({ type: CreateOrgDto })
  @ApiCreated('Organization')
  @ApiErrors(400, 401, 409, 500)
  async createOrg(@Body() body: unknown, @Req() req: OperatorRequest) {
    const nulls = nullFields(body);
    const raw = requireJsonObject(body);
    const dto = validateDto(CreateOrgDto, raw);
    const org = await this.rt.orgs.createOrg(dto.name, limitsOf(dto, nulls));
    await this.rt.audit.record({ ...auditContext(req), action: 'org.create', orgId: org.id, target: org.id, details: { name: org.name, ...limitsOf(dto, nulls) } });
    return org;
  }

  @Get('orgs/:orgId')
  @ApiOperation({ summary: 'An organization with its limits and status (operator)' })
  @ApiOk('Organization')
  @ApiErrors(401, 404, 500)
  getOrg(@Param('orgId') orgId: string) {
    return this.rt.orgs.requireOrg(checkId('org', orgId));
  }

  @Patch('orgs/:orgId')
  @ApiOperation({ summary: "Change an organization's limits (operator); null restores a default" })
  @ApiBody({ type: UpdateOrgDto })
  @ApiOk('Organization')
  @ApiErrors(400, 401, 404, 500)
  async updateOrg(@Param('orgId') orgId: string, @Body() body: unknown, @Req() req: OperatorRequest) {
    checkId('org', orgId);
    const nulls = nullFields(body);
    const dto = validateDto(UpdateOrgDto, requireJsonObject(body));
    const limits = limitsOf(dto, nulls);
    const org = await this.rt.orgs.updateOrgLimits(orgId, limits);
    await this.rt.audit.record({ ...auditContext(req), action: 'org.update', orgId, target: orgId, details: limits as Record<string, unknown> });
    return org;
  }

  @Post('orgs/:orgId/suspend')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Suspend an organization (operator): its keys answer 403 with the reason; generations already accepted run to their end',
  })
  @ApiBody({ type: SuspendOrgDto })
  @ApiOk('Organization')
  @ApiErrors(400, 401, 404, 500)
  async suspend(@Param('orgId') orgId: string, @Body() body: unknown, @Req() req: OperatorRequest) {
    checkId('org', orgId);
    const dto = validateDto(SuspendOrgDto, requireJsonObject(body));
    const org = await this.rt.orgs.suspendOrg(orgId, dto.reason.trim());
    this.rt.auth.forget();
    await this.rt.audit.record({ ...auditContext(req), action: 'org.suspend', orgId, target: orgId, details: { reason: dto.reason.trim() } });
    return org;
  }

  @Post('orgs/:orgId/resume')
  @HttpCode(200)
  @ApiOperation({ summary: 'Resume a suspended organization (operator): its keys work again' })
  @ApiOk('Organization')
  @ApiErrors(401, 404, 500)
  async resume(@Param('orgId') orgId: string, @Req() req: OperatorRequest) {
    const org = await this.rt.orgs.resumeOrg(checkId('org', orgId));
    this.rt.auth.forget();
    await this.rt.audit.record({ ...auditContext(req), action: 'org.resume', orgId, target: orgId });
    return org;
  }

  @Get('orgs/:orgId/keys')
  @ApiOperation({ summary: "An organization's API keys, never their secrets (operator)" })
  @ApiOk('OperatorApiKeyList')
  @ApiErrors(401, 404, 500)
  async listKeys(@Param('orgId') orgId: string) {
    await this.rt.orgs.requireOrg(checkId('org', orgId));
    return { object: 'list', data: await this.rt.orgs.listKeys(orgId) };
  }

  @Post('orgs/:orgId/keys')
  @Idempotent()
  @ApiOperation({ summary: 'Issue an API key for an organization (operator); the secret is shown once' })
  @ApiBody({ type: CreateKeyDto })
  @ApiCreated('IssuedApiKey')
  @ApiErrors(400, 401, 404, 409, 500)
  async issueKey(@Param('orgId') orgId: string, @Body() body: unknown, @Req() req: OperatorRequest) {
    checkId('org', orgId);
    const dto = validateDto(CreateKeyDto, requireJsonObject(body));
    const key = await this.rt.orgs.issueApiKey(orgId, dto.name, dto.kind ?? 'standard', { rateLimitPerMinute: dto.rate_limit_per_minute ?? null, limit: createLimitOf(dto) });
    await this.rt.audit.record({ ...auditContext(req), action: 'key.issue', orgId, target: key.id, details: { name: key.name, kind: key.kind, rate_limit_per_minute: key.rate_limit_per_minute } });
    return key;
  }

  @Patch('orgs/:orgId/keys/:keyId')
  @ApiOperation({ summary: "Set or remove a key's spend limit (operator)" })
  @ApiBody({ type: KeyLimitDto })
  @ApiOk('ApiKey')
  @ApiErrors(400, 401, 404, 500)
  async setKeyLimit(@Param('orgId') orgId: string, @Param('keyId') keyId: string, @Body() body: unknown) {
    checkId('org', orgId);
    const view = await this.rt.orgs.setKeyLimit(orgId, checkId('key', keyId), keyLimitPatch(body));
    this.rt.auth.forget();
    return view;
  }

  @Delete('keys/:keyId')
  @ApiOperation({ summary: 'Revoke any API key (operator); every gateway replica refuses it within a second' })
  @ApiOk('ApiKey')
  @ApiErrors(401, 404, 500)
  async revokeKey(@Param('keyId') keyId: string, @Req() req: OperatorRequest) {
    const key = await this.rt.orgs.revokeAnyKey(checkId('key', keyId));
    this.rt.auth.forget();
    await this.rt.audit.record({ ...auditContext(req), action: 'key.revoke', orgId: key.org_id, target: key.id });
    return key;
  }

  @Post('orgs/:orgId/credits')
  @Idempotent()
  @ApiOperation({ summary: 'Add credits to an organization (operator): a billing top-up with source "operator"' })
  @ApiBody({ type: CreditsDto })
  @ApiCreated('Balance')
  @ApiErrors(400, 401, 404, 409, 500, 503)
  async credits(@Param('orgId') orgId: string, @Body() body: unknown, @Req() req: OperatorRequest, @Headers('idempotency-key') headerKey?: string) {
    await this.rt.orgs.requireOrg(checkId('org', orgId));
    const dto = validateDto(CreditsDto, requireJsonObject(body));
    // Billing de-duplicates top-ups by key: without one from the caller, each request is a new top-up.
    const idempotencyKey = dto.idempotency_key ?? (headerKey ? `hdr:${headerKey}` : `op:${randomUUID()}`);
    const reply = await this.rt.downstream.call(RPC.billing.topupCreate, {
      orgId,
      amountCents: dto.amount_cents,
      idempotencyKey,
      source: 'operator',
      ...(dto.note ? { note: dto.note } : {}),
    });
    await this.rt.audit.record({ ...auditContext(req), action: 'credits.add', orgId, target: orgId, details: { amount_cents: dto.amount_cents, idempotency_key: idempotencyKey, ...(dto.note ? { note: dto.note } : {}) } });
    return reply?.balance ?? this.rt.downstream.call(RPC.billing.balanceGet, { orgId });
  }

  @Get('audit-log')
  @ApiOperation({ summary: 'Operator actions, newest first (operator)' })
  @ApiQuery({ name: 'org_id', required: false })
  @ApiQuery({ name: 'action', required: false, description: 'e.g. org.suspend, key.revoke, dead_letter.replay' })
  @ApiQuery({ name: 'limit', required: false, description: '1–100, default 50' })
  @ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page' })
  @ApiOk('AuditLog')
  @ApiErrors(400, 401, 500)
  auditLog(@Query() q: Record<string, unknown>) {
    const orgId = strQuery('org_id', q.org_id, 80);
    return this.rt.audit.list({
      orgId: orgId === undefined ? undefined : checkId('org', orgId),
      action: strQuery('action', q.action, 64),
      limit: intQuery('limit', q.limit, 100) ?? 50,
      cursor: strQuery('cursor', q.cursor, 200),
    });
  }
}

/** The spend limit of a create-key body (none when limit_cents is absent; limit_reset alone is a 400). */
export function createLimitOf(dto: CreateKeyDto): { limitCents: number | null; reset?: KeyLimitReset } | undefined {
  if (dto.limit_cents === undefined && dto.limit_reset === undefined) return undefined;
  return { limitCents: dto.limit_cents ?? null, ...(dto.limit_reset ? { reset: dto.limit_reset } : {}) };
}
