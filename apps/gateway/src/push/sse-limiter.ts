import { ErrorCode } from '@pipevideo/contracts';
import { ApiError } from '../errors/api-error';

/**
 * Open SSE connections per API key, on this gateway replica: a key at its limit is refused (429) until
 * one of its streams ends. Per replica by design (a connection lives in one process and ends with it);
 * with N replicas behind a balancer a key can hold up to N × the limit.
 */
export class SseLimiter {
  private readonly open = new Map<string, number>();

  constructor(private readonly maxPerKey: number) {}

  /** Takes a slot for `keyId` or throws 429; call the returned function exactly once when the stream ends. */
  acquire(keyId: string): () => void {
    const n = this.open.get(keyId) ?? 0;
    if (n >= this.maxPerKey)
      throw new ApiError(ErrorCode.TOO_MANY_REQUESTS, `This API key already has ${n} event streams open (the limit is ${this.maxPerKey}). Close one, or poll with GET …/{id}?wait=60.`, { retryAfterSeconds: 5 });
    this.open.set(keyId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(keyId) ?? 1) - 1;
      if (left <= 0) this.open.delete(keyId);
      else this.open.set(keyId, left);
    };
  }
}
