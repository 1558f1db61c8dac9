import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/** Carries the correlation id of the current request across awaits, NATS hops and provider calls. */
const storage = new AsyncLocalStorage<{ correlationId: string }>();

export function currentCorrelationId(): string | undefined {
  return storage.getStore()?.correlationId;
}

export function withCorrelationId<T>(id: string | undefined, fn: () => T): T {
  return storage.run({ correlationId: id || randomUUID() }, fn);
}

export const CORRELATION_HEADER = 'x-correlation-id';
