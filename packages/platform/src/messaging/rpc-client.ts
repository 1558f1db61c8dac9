import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCode, isRpcErrorBody, type RpcReply, type RpcSend, type RpcSubject } from '@pipevideo/contracts';
import { currentCorrelationId } from '../observability/correlation';
import type { Transport } from './transport';

export interface RpcCallOptions {
  timeoutMs?: number;
}

/**
 * Request/reply client over NATS (or the in-process bus). Speaks Nest's NATS packet format
 * (`{pattern, data, id}` → `{id, response | err}`) so Nest @MessagePattern handlers answer it.
 * We use the raw connection rather than Nest's ClientNats because a dead service must fail fast:
 * NATS "no responders" arrives at once, and every call has a hard timeout → 503, never a hang.
 */
export class RpcClient {
  constructor(
    private readonly transport: Transport,
    private readonly defaultTimeoutMs = Number(process.env.PIPEVIDEO_RPC_TIMEOUT_MS ?? 5000),
  ) {}

  /** Calls `subject` with its request (typed by the seam map) and answers its reply; a refusal or fault arrives as a DomainError. */
  async request<S extends RpcSubject>(subject: S, data: RpcSend<S>, opts: RpcCallOptions = {}): Promise<RpcReply<S>> {
    const payload = { v: 1, correlationId: currentCorrelationId(), ...data };
    const packet = JSON.stringify({ pattern: subject, data: payload, id: randomUUID() });
    let raw: string;
    try {
      raw = await this.transport.request(subject, packet, opts.timeoutMs ?? this.defaultTimeoutMs);
    } catch (err) {
      const reason = (err as Error)?.message ?? String(err);
      throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, `${subject.split('.')[0]} service unavailable (${reason})`);
    }
    const reply = JSON.parse(raw) as { err?: unknown; response?: RpcReply<S> };
    if (reply.err !== undefined && reply.err !== null) {
      if (isRpcErrorBody(reply.err)) throw new DomainError(reply.err.code, reply.err.message, reply.err.details);
      throw new DomainError(ErrorCode.INTERNAL_SERVER_ERROR, 'internal error in ' + subject.split('.')[0] + ' service');
    }
    return reply.response as RpcReply<S>;
  }
}
