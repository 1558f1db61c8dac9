import { Body, Controller, Get, Headers, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ErrorCode, RPC, USAGE_APIS, USAGE_STATUSES } from '@pipevideo/contracts';
import type { Principal } from '../auth/key-authenticator';
import { ApiError } from '../http/api-error';
import { CurrentPrincipal, GatewayController, Public, SessionRole, StandardKey } from '../http/auth';
import { intQuery, oneOfQuery, strQuery, timeQuery } from '../http/params';
import { Idempotent } from '../idempotency/idempotency.interceptor';
import { ApiCreated, ApiErrors, ApiOk, KEYED_ERRORS } from '../openapi/decorators';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';
import { IsHttpUrl } from '../validation/http-url';
import { requireJsonObject, validateDto } from '../validation/validate';

export class CheckoutDto {
  @ApiProperty({ example: 2000, minimum: 50, maximum: 99_999_999, description: 'Cents to add to the balance (Stripe USD limits: 50 – 99,999,999).' })
  @Max(99_999_999, { message: 'must be at most 99999999 cents' })
  @Min(50, { message: 'must be at least 50 cents (Stripe’s minimum charge)' })
  @IsInt({ message: 'must be a positive integer number of cents' })
  amount_cents!: number;

  @ApiPropertyOptional({ description: 'Where Stripe sends the customer after paying.', example: 'https://example.com/billing?ok=1' })
  @IsOptional()
  @IsHttpUrl()
  @MaxLength(2048, { message: 'must be at most 2048 characters' })
  @IsString({ message: 'must be a URL string' })
  success_url?: string;

  @ApiPropertyOptional({ description: 'Where Stripe sends the customer after cancelling.', example: 'https://example.com/billing' })
  @IsOptional()
  @IsHttpUrl()
  @MaxLength(2048, { message: 'must be at most 2048 characters' })
  @IsString({ message: 'must be a URL string' })
  cancel_url?: string;
}

/** Usage and credits of the caller's org (billing service), and Stripe's webhook. */
@GatewayController()
@Controller('v1')
export class BillingController {
  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {}

  @Get('usage')
  @StandardKey()
  @SessionRole('member')
  @ApiTags('Billing')
  @ApiOperation({ summary: 'Credit balance and usage history (newest first, keyset-paginated)' })
  @ApiQuery({ name: 'from', required: false, description: 'Start (unix seconds or ISO 8601)' })
  @ApiQuery({ name: 'to', required: false, description: 'End (unix seconds or ISO 8601)' })
  @ApiQuery({ name: 'limit', required: false, description: '1–100' })
  @ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page' })
  @ApiQuery({ name: 'model', required: false, description: 'Only this model (a slug such as google/veo-3.1); totals too' })
  @ApiQuery({ name: 'api', required: false, enum: USAGE_APIS, description: 'Only this API; totals too' })
  @ApiQuery({ name: 'status', required: false, enum: USAGE_STATUSES, description: 'Only this status; totals too' })
  @ApiOk('UsageList')
  @ApiErrors(400, 403, ...KEYED_ERRORS)
  usage(@CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    const from = timeQuery('from', q.from);
    const to = timeQuery('to', q.to);
    // Whether from lies before to is billing's to decide: a bare-day `to` covers that whole day.
    const limit = intQuery('limit', q.limit, 100);
    const cursor = strQuery('cursor', q.cursor, 512);
    const model = strQuery('model', q.model, 200);
    const api = oneOfQuery('api', q.api, USAGE_APIS);
    const status = oneOfQuery('status', q.status, USAGE_STATUSES);
    return this.rt.downstream.call(RPC.billing.usageList, {
      orgId: p.orgId, ...(from ? { from } : {}), ...(to ? { to } : {}), ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}),
      ...(model ? { model } : {}), ...(api ? { api } : {}), ...(status ? { status } : {}),
    });
  }

  @Get('billing/balance')
  @StandardKey()
  @SessionRole('member')
  @ApiTags('Billing')
  @ApiOperation({ summary: 'Credit balance in cents (balance, held by running jobs, available, owed)' })
  @ApiOk('Balance')
  @ApiErrors(403, ...KEYED_ERRORS)
  balance(@CurrentPrincipal() p: Principal) {
    return this.rt.downstream.call(RPC.billing.balanceGet, { orgId: p.orgId });
  }

  @Get('billing/topups')
  @StandardKey()
  @SessionRole('member')
  @ApiTags('Billing')
  @ApiOperation({ summary: 'Top-ups of the organization (operator credits, Stripe checkouts), newest first' })
  @ApiQuery({ name: 'limit', required: false, description: '1–100, default 20' })
  @ApiQuery({ name: 'cursor', required: false, description: 'next_cursor of the previous page' })
  @ApiOk('TopupList')
  @ApiErrors(400, 403, ...KEYED_ERRORS)
  topups(@CurrentPrincipal() p: Principal, @Query() q: Record<string, unknown>) {
    const limit = intQuery('limit', q.limit, 100);
    const cursor = strQuery('cursor', q.cursor, 32);
    return this.rt.downstream.call(RPC.billing.topupList, { orgId: p.orgId, ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) });
  }

  @Post('billing/checkout')
  @StandardKey()
  @SessionRole('admin')
  @Idempotent()
  @ApiTags('Billing')
  @ApiOperation({ summary: 'Start a Stripe Checkout that adds credits; redirect the customer to url' })
  @ApiBody({ type: CheckoutDto })
  @ApiCreated('Checkout')
  @ApiErrors(400, 403, 409, ...KEYED_ERRORS)
  checkout(@CurrentPrincipal() p: Principal, @Body() body: unknown) {
    const dto = validateDto(CheckoutDto, requireJsonObject(body));
    return this.rt.downstream.call(RPC.billing.checkoutCreate, {
      orgId: p.orgId,
      amountCents: dto.amount_cents,
      ...(dto.success_url ? { successUrl: dto.success_url } : {}),
      ...(dto.cancel_url ? { cancelUrl: dto.cancel_url } : {}),
    });
  }

  /** Stripe → us. No API key: Stripe's signature over the raw body is checked by billing. */
  @Post('billing/stripe/webhook')
  @Public()
  @HttpCode(200)
  @ApiTags('Billing')
  @ApiOperation({ summary: 'Stripe webhook receiver (called by Stripe; no API key, verified by Stripe-Signature over the raw body)' })
  @ApiHeader({ name: 'Stripe-Signature', required: true })
  @ApiOk('StripeWebhookReceived')
  @ApiErrors(400, 401, 500, 503)
  async stripe(@Req() req: { rawBody?: Buffer }, @Headers('stripe-signature') signature?: string) {
    if (typeof signature !== 'string' || !signature) throw new ApiError(ErrorCode.BAD_REQUEST, 'Missing Stripe-Signature header');
    if (!req.rawBody?.length) throw new ApiError(ErrorCode.BAD_REQUEST, 'Stripe webhook body must be the raw JSON event (Content-Type: application/json)');
    const r = await this.rt.downstream.call(RPC.billing.stripeEvent, { payload: req.rawBody.toString('utf8'), signature });
    // The public view (snake_case; the ledger's transaction id stays inside billing).
    return { received: true, event_id: r.eventId, type: r.type, credited: r.credited, duplicate: r.duplicate };
  }
}
