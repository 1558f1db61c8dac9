import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import {
  RPC, WEBHOOK_DELIVERY_STATUSES, WEBHOOK_DESCRIPTION_MAX_LENGTH, WEBHOOK_EVENT_TYPES, WEBHOOK_URL_MAX_LENGTH, type WebhookDeliveryStatus, type WebhookEventType,
} from '@pipevideo/contracts';
import type { Principal } from '../auth/key-authenticator';
import { badRequestError } from '../http/api-error';
import { CurrentPrincipal, GatewayController, SessionRole, StandardKey } from '../http/auth';
import { checkId, intQuery, strQuery } from '../http/params';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { ApiCreated, ApiErrors, ApiOk, KEYED_ERRORS } from '../openapi/decorators';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';
import { IsHttpUrl } from '../validation/http-url';
import { requireJsonObject, validateDto } from '../validation/validate';

const EVENT_TYPES = WEBHOOK_EVENT_TYPES as unknown as string[];

export class CreateWebhookDto {
  @ApiProperty({ example: 'https://example.com/hooks/pipevideo', maxLength: WEBHOOK_URL_MAX_LENGTH })
  @IsHttpUrl()
  @MaxLength(WEBHOOK_URL_MAX_LENGTH, { message: `must be at most ${WEBHOOK_URL_MAX_LENGTH} characters` })
  @IsString({ message: 'is required: the https URL that receives the events' })
  url!: string;

  @ApiPropertyOptional({ type: [String], enum: EVENT_TYPES, description: 'Event types to receive (default: all).' })
  @IsOptional()
  @IsIn(EVENT_TYPES, { each: true, message: `must hold event types among ${EVENT_TYPES.join(', ')}` })
  @ArrayUnique({ message: 'must not repeat an event type' })
  @ArrayMaxSize(EVENT_TYPES.length, { message: `may list at most ${EVENT_TYPES.length} event types` })
  @ArrayNotEmpty({ message: 'must list at least one event type (omit it to receive all)' })
  @IsArray({ message: 'must be an array of event types' })
  events?: WebhookEventType[];

  @ApiPropertyOptional({ maxLength: WEBHOOK_DESCRIPTION_MAX_LENGTH })
  @IsOptional()
  @MaxLength(WEBHOOK_DESCRIPTION_MAX_LENGTH, { message: `must be at most ${WEBHOOK_DESCRIPTION_MAX_LENGTH} characters` })
  @IsString({ message: 'must be a string' })
  description?: string;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional({ maxLength: WEBHOOK_URL_MAX_LENGTH })
  @IsOptional()
  @IsHttpUrl()
  @MaxLength(WEBHOOK_URL_MAX_LENGTH, { message: `must be at most ${WEBHOOK_URL_MAX_LENGTH} characters` })
  @IsString({ message: 'must be a URL string' })
  url?: string;

  @ApiPropertyOptional({ type: [String], enum: EVENT_TYPES })
  @IsOptional()
  @IsIn(EVENT_TYPES, { each: true, message: `must hold event types among ${EVENT_TYPES.join(', ')}` })
  @ArrayUnique({ message: 'must not repeat an event type' })
  @ArrayMaxSize(EVENT_TYPES.length, { message: `may list at most ${EVENT_TYPES.length} event types` })
  @ArrayNotEmpty({ message: 'must list at least one event type' })
  @IsArray({ message: 'must be an array of event types' })
  events?: WebhookEventType[];

  @ApiPropertyOptional({ maxLength: WEBHOOK_DESCRIPTION_MAX_LENGTH })
  @IsOptional()
  @MaxLength(WEBHOOK_DESCRIPTION_MAX_LENGTH, { message: `must be at most ${WEBHOOK_DESCRIPTION_MAX_LENGTH} characters` })
  @IsString({ message: 'must be a string' })
  description?: string;

  @ApiPropertyOptional({ description: 'false disables the endpoint; true re-enables it.' })
  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  enabled?: boolean;
}

/** A delivery status filter the webhooks service knows. */
const isDeliveryStatus = (s: string): s is WebhookDeliveryStatus => (WEBHOOK_DELIVERY_STATUSES as readonly string[]).includes(s);

/** The fields that were sent (undefined ones left out, so the service applies its defaults). */
const pick = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

/** Customer webhook endpoints and their delivery log (webhooks service). */
@ApiTags('Webhooks')
@GatewayController()
@StandardKey()
@SessionRole('member')
@Controller('v1/webhooks')
export class WebhooksController {
  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {}

  @Post()
  @SessionRole('admin')
  @Idempotent()
  @ApiOperation({ summary: 'Create an endpoint; the signing secret is in this answer only' })
  @ApiBody({ type: CreateWebhookDto })
  @ApiCreated('WebhookEndpointWithSecret')
  @ApiErrors(400, 403, 409, ...KEYED_ERRORS)
  create(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    const dto = validateDto(CreateWebhookDto, requireJsonObject(body));
    return this.rt.downstream.call(RPC.webhooks.endpointCreate, { orgId: p.orgId, url: dto.url, ...pick({ events: dto.events, description: dto.description }) });
  }

  @Get()
  @ApiOperation({ summary: 'List endpoints, newest first' })
  @ApiQuery({ name: 'limit', required: false, description: '1–100' })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOk('WebhookEndpointList')
  @ApiErrors(400, 403, ...KEYED_ERRORS)
  list(@CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    const limit = intQuery('limit', q.limit, 100);
    const cursor = strQuery('cursor', q.cursor, 512);
    return this.rt.downstream.call(RPC.webhooks.endpointList, { orgId: p.orgId, ...pick({ limit, cursor }) });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One endpoint' })
  @ApiParam({ name: 'id', example: 'ep_0123456789abcdef0123456789abcdef' })
  @ApiOk('WebhookEndpoint')
  @ApiErrors(403, 404, ...KEYED_ERRORS)
  get(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.rt.downstream.call(RPC.webhooks.endpointGet, { orgId: p.orgId, id: checkId('webhookEndpoint', id) });
  }

  @Patch(':id')
  @SessionRole('admin')
  @ApiOperation({ summary: 'Change url, events, description or enabled' })
  @ApiParam({ name: 'id' })
  @ApiBody({ type: UpdateWebhookDto })
  @ApiOk('WebhookEndpoint')
  @ApiErrors(400, 403, 404, ...KEYED_ERRORS)
  update(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Body() body: unknown) {
    checkId('webhookEndpoint', id);
    const dto = validateDto(UpdateWebhookDto, requireJsonObject(body));
    const changes = pick(dto);
    if (!Object.keys(changes).length) throw badRequestError('Nothing to change: send at least one of url, events, description, enabled');
    return this.rt.downstream.call(RPC.webhooks.endpointUpdate, { orgId: p.orgId, id, ...changes });
  }

  @Delete(':id')
  @SessionRole('admin')
  @ApiOperation({ summary: 'Delete an endpoint' })
  @ApiParam({ name: 'id' })
  @ApiOk('WebhookEndpointDeleted')
  @ApiErrors(403, 404, ...KEYED_ERRORS)
  remove(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.rt.downstream.call(RPC.webhooks.endpointDelete, { orgId: p.orgId, id: checkId('webhookEndpoint', id) });
  }

  @Post(':id/rotate-secret')
  @SessionRole('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'New signing secret (shown once); the old one keeps signing during an overlap window' })
  @ApiParam({ name: 'id' })
  @ApiOk('WebhookEndpointWithSecret')
  @ApiErrors(403, 404, ...KEYED_ERRORS)
  rotate(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.rt.downstream.call(RPC.webhooks.endpointRotate, { orgId: p.orgId, id: checkId('webhookEndpoint', id) });
  }

  @Post(':id/test')
  @SessionRole('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a webhook.test event to the endpoint now' })
  @ApiParam({ name: 'id' })
  @ApiOk('WebhookDelivery')
  @ApiErrors(403, 404, ...KEYED_ERRORS)
  test(@CurrentPrincipal() p: Principal, @Param('id') id: string) {
    return this.rt.downstream.call(RPC.webhooks.endpointTest, { orgId: p.orgId, id: checkId('webhookEndpoint', id) });
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "The endpoint's delivery log, newest first" })
  @ApiParam({ name: 'id' })
  @ApiQuery({ name: 'status', required: false, enum: WEBHOOK_DELIVERY_STATUSES as unknown as string[] })
  @ApiQuery({ name: 'limit', required: false, description: '1–100' })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiOk('WebhookDeliveryList')
  @ApiErrors(400, 403, 404, ...KEYED_ERRORS)
  deliveries(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Query() q: Record<string, unknown>) {
    checkId('webhookEndpoint', id);
    const status = strQuery('status', q.status, 32);
    if (status !== undefined && !isDeliveryStatus(status))
      throw badRequestError(`status must be one of ${WEBHOOK_DELIVERY_STATUSES.join(', ')}`, [{ field: 'status', message: `status must be one of ${WEBHOOK_DELIVERY_STATUSES.join(', ')}` }]);
    const limit = intQuery('limit', q.limit, 100);
    const cursor = strQuery('cursor', q.cursor, 512);
    return this.rt.downstream.call(RPC.webhooks.deliveryList, { orgId: p.orgId, endpointId: id, ...pick({ status, limit, cursor }) });
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @SessionRole('admin')
  @HttpCode(200)
  @ApiOperation({ summary: 'Queue one more attempt of a delivery now' })
  @ApiParam({ name: 'id' })
  @ApiParam({ name: 'deliveryId' })
  @ApiOk('WebhookDelivery')
  @ApiErrors(403, 404, ...KEYED_ERRORS)
  retry(@CurrentPrincipal() p: Principal, @Param('id') id: string, @Param('deliveryId') deliveryId: string) {
    checkId('webhookEndpoint', id);
    return this.rt.downstream.call(RPC.webhooks.deliveryRetry, { orgId: p.orgId, id: checkId('webhookDelivery', deliveryId), endpointId: id });
  }
}
