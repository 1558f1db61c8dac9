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

  call<T = unknown>(subject: string, payload: Record<string, unknown>, timeoutMs = this.timeoutMs): Promise<T> {
    return this.rpc.request<T>(subject, payload, timeoutMs ? { timeoutMs } : {});
  }
}
