import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { DeadLetter } from '@pipevideo/platform';
import { auditContext, OperatorRequest } from '../audit/audit-context';
import { notFoundError } from '../http/api-error';
import { GatewayController, OperatorToken } from '../http/auth';
import { intQuery, strQuery } from '../http/params';
import { ApiErrors, ApiOk } from '../openapi/decorators';
import { GATEWAY_COMPOSITION, GatewayComposition } from '../gateway.composition';

const DEAD_LETTER_ID = /^\d{1,15}$/;

/** A dead letter as the operator API shows it (the payload parsed when it is JSON). */
function view(l: DeadLetter) {
  let event: unknown = l.payload;
  try {
    event = JSON.parse(l.payload);
  } catch {
    // not JSON: shown as the raw text
  }
  return {
    id: l.id,
    object: 'dead_letter',
    consumer: l.consumer,
    subject: l.subject,
    event_id: l.eventId,
    error: l.error,
    deliveries: l.deliveries,
    dead_lettered_at: Math.floor(l.deadLetteredAt / 1000),
    event,
  };
}

function checkLetterId(id: string): string {
  if (!DEAD_LETTER_ID.test(id)) throw notFoundError(`Dead letter not found: no dead letter has the id ${JSON.stringify(id.slice(0, 40))}`);
  return id;
}

/**
 * Operator API over the dead-letter queue: durable events a consumer gave up on after the redelivery limit
 * (PIPEVIDEO_EVENT_MAX_DELIVERIES) or as poison. List, inspect, replay (publish again: consumers that already
 * processed the event skip it by its id) or discard; replays and discards go to the audit log.
 */
@ApiTags('Operator')
@GatewayController()
@OperatorToken()
@Controller('admin/dead-letters')
export class AdminDeadLettersController {
  constructor(@Inject(GATEWAY_COMPOSITION) private readonly rt: GatewayComposition) {}

  @Get()
  @ApiOperation({ summary: 'Dead letters waiting, oldest first (operator)' })
  @ApiQuery({ name: 'limit', required: false, description: '1–100, default 50' })
  @ApiQuery({ name: 'after', required: false, description: 'id of the last letter of the previous page' })
  @ApiOk('DeadLetterList')
  @ApiErrors(400, 401, 500)
  async list(@Query() q: Record<string, unknown>) {
    const limit = intQuery('limit', q.limit, 100) ?? 50;
    const after = strQuery('after', q.after, 20);
    if (after !== undefined && !DEAD_LETTER_ID.test(after)) checkLetterId(after);
    const queue = this.rt.ctx.messaging.events.deadLetters;
    const letters = await queue.list(limit + 1, after);
    return { object: 'list', data: letters.slice(0, limit).map(view), has_more: letters.length > limit, total: await queue.count() };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One dead letter with its event and last error (operator)' })
  @ApiParam({ name: 'id', example: '17' })
  @ApiOk('DeadLetter')
  @ApiErrors(401, 404, 500)
  async get(@Param('id') id: string) {
    const l = await this.rt.ctx.messaging.events.deadLetters.get(checkLetterId(id));
    if (!l) throw notFoundError(`Dead letter ${id} not found (replayed or discarded already?)`);
    return view(l);
  }

  @Post(':id/replay')
  @HttpCode(200)
  @ApiOperation({ summary: 'Publish a dead letter again and take it off the queue (operator)' })
  @ApiParam({ name: 'id', example: '17' })
  @ApiOk('DeadLetter')
  @ApiErrors(401, 404, 500)
  async replay(@Param('id') id: string, @Req() req: OperatorRequest) {
    const l = await this.rt.ctx.messaging.events.deadLetters.replay(checkLetterId(id));
    if (!l) throw notFoundError(`Dead letter ${id} not found (replayed or discarded already?)`);
    await this.rt.audit.record({ ...auditContext(req), action: 'dead_letter.replay', orgId: orgOf(l), target: id, details: { consumer: l.consumer, subject: l.subject, event_id: l.eventId } });
    return view(l);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Discard a dead letter without running it (operator)' })
  @ApiParam({ name: 'id', example: '17' })
  @ApiOk('DeadLetter')
  @ApiErrors(401, 404, 500)
  async discard(@Param('id') id: string, @Req() req: OperatorRequest) {
    const queue = this.rt.ctx.messaging.events.deadLetters;
    const l = await queue.get(checkLetterId(id));
    if (!l || !(await queue.discard(id))) throw notFoundError(`Dead letter ${id} not found (replayed or discarded already?)`);
    await this.rt.audit.record({ ...auditContext(req), action: 'dead_letter.discard', orgId: orgOf(l), target: id, details: { consumer: l.consumer, subject: l.subject, event_id: l.eventId, error: l.error } });
    return view(l);
  }
}

/** The org an event is about, when it names one (for the audit log's org filter). */
function orgOf(l: DeadLetter): string | null {
  try {
    const org = (JSON.parse(l.payload) as { orgId?: unknown }).orgId;
    return typeof org === 'string' && /^org_[A-Za-z0-9]{1,64}$/.test(org) ? org : null;
  } catch {
    return null;
  }
}
