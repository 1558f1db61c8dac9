import type { RpcReply, RpcSend, RpcSubject } from '@pipevideo/contracts';
import type { RpcClient } from '@pipevideo/platform';

/**
 * The other services' NATS APIs as the gateway calls them. Pass-through: typed DomainErrors
 * (BAD_REQUEST, NOT_FOUND, SERVICE_UNAVAILABLE on a dead or slow service…) propagate to the HTTP layer.
 */
export class Downstream {
  constructor(
    private readonly rpc: RpcClient,
    private readonly timeoutMs?: number,
  ) {}

  /** Calls one subject of the seam map: the request and the reply are that subject's types. */
  call<S extends RpcSubject>(subject: S, payload: RpcSend<S>, timeoutMs = this.timeoutMs): Promise<RpcReply<S>> {
    return this.rpc.request(subject, payload, timeoutMs ? { timeoutMs } : {});
  }
}
