import { DomainError, ErrorCode } from '@pipevideo/contracts';
import { fingerprint } from '@pipevideo/platform';
import type { GenerationStore } from './generation.store';
import type { GenerationRow } from './generation.types';

/** A create that carries the customer's Idempotency-Key: the key, what the request was, how long keys live. */
export interface IdempotentCreate {
  key: string;
  fingerprint: string;
  ttlSeconds: number;
}

export function idempotentCreate(key: string | undefined, request: unknown, ttlSeconds: number): IdempotentCreate | undefined {
  return key ? { key, fingerprint: fingerprint(request), ttlSeconds } : undefined;
}

/** The generation this key already created (a retry whose first answer was lost), if any. */
export async function priorCreate(store: GenerationStore, orgId: string, api: 'video' | 'responses', idem: IdempotentCreate | undefined): Promise<GenerationRow | undefined> {
  if (!idem) return undefined;
  const prior = await store.byIdempotencyKey(orgId, api, idem.key, idem.ttlSeconds);
  return prior ? sameRequest(prior, idem) : undefined;
}

/** The same key names one request: another request under it is a 409, as at the gateway. */
export function sameRequest(prior: GenerationRow, idem: IdempotentCreate): GenerationRow {
  if (prior.idempotency_fingerprint !== idem.fingerprint)
    throw new DomainError(ErrorCode.CONFLICT, 'This Idempotency-Key was already used with a different request. Use a new key for a different request.');
  return prior;
}
