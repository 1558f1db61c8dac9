import { randomBytes, randomUUID } from 'node:crypto';

/** What a client may send as X-Correlation-Id: short, and no `:` (ours separates the namespace with it). */
const CLIENT_CORRELATION_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The request's correlation id, which every service logs: ours (a UUID) when the client sent none or an
 * invalid one; otherwise the client's id namespaced and made unique — `client:<their id>:<8 random hex>` —
 * so a client can find its requests in our logs by its own id, but can neither pose as one of our ids nor
 * tie its requests to another org's that chose the same id.
 */
export function correlationIdFor(clientValue: unknown): string {
  if (typeof clientValue !== 'string' || !CLIENT_CORRELATION_ID.test(clientValue)) return randomUUID();
  return `client:${clientValue}:${randomBytes(4).toString('hex')}`;
}
