import { DomainError, ErrorCode } from '@pipevideo/contracts';

type ApiKind = 'video' | 'responses';
import { fingerprint } from '@pipevideo/platform';
import type { GenerationStore, NewGeneration } from './generation.store';
import type { GenerationRow, PlannedAttempt } from './generation.types';

/** A create that carries the customer's Idempotency-Key: the key, what the request was, how long keys live. */
export interface IdempotentCreate {
  key: string;
  fingerprint: string;
  ttlSeconds: number;
}

export function idempotentCreate(key: string | undefined, request: unknown, ttlSeconds: number): IdempotentCreate | undefined {
  return key ? { key, fingerprint: fingerprint(request), ttlSeconds } : undefined;
}

/** What the two create use cases tell the outside world: a new generation to dispatch, or a replay. */
export interface CreateOutcomePorts {
  /** Plans the first attempt before the insert (breakers, the org's own keys: Dispatcher.plan), so generation and attempt are one write. */
  planFirstAttempt(g: Pick<NewGeneration, 'api' | 'orgId' | 'candidates'>): Promise<PlannedAttempt | undefined>;
  /** Holds money for the freshly inserted generation (leased to this replica; `planned`: its attempt 1) and dispatches it; a 400 when the org can afford no candidate (see admit.ts). */
  admit(row: GenerationRow, planned?: PlannedAttempt): Promise<void>;
  /** A create answered with the generation its Idempotency-Key made before (counted). */
  onReplay(api: 'video' | 'responses'): void;
}

/**
 * The generation this key already created (a retry whose first answer was lost), if any; another
 * request under the key is a 409. A key older than the TTL is let go first, so it can name a new request.
 */
export async function priorCreate(store: GenerationStore, orgId: string, api: ApiKind, idem: IdempotentCreate | undefined, ports: CreateOutcomePorts): Promise<GenerationRow | undefined> {
  if (!idem) return undefined;
  await store.forgetExpiredIdempotencyKey(orgId, api, idem.key, idem.ttlSeconds);
  const prior = await store.byIdempotencyKey(orgId, api, idem.key);
  return prior ? replay(prior, idem, ports) : undefined;
}

/** Stores the new generation and admits it (hold, then dispatch) — or answers the one a concurrent retry stored first. */
export async function insertOnce(store: GenerationStore, g: NewGeneration, idem: IdempotentCreate | undefined, ports: CreateOutcomePorts): Promise<GenerationRow> {
  const firstAttempt = await ports.planFirstAttempt(g);
  const { row, created } = await store.insert({ ...g, idempotency: idem ?? null, firstAttempt });
  if (created) await ports.admit(row, firstAttempt);
  else if (idem) replay(row, idem, ports);
  return row;
}

/** The same key names one request: another request under it is a 409, as at the gateway. */
function replay(prior: GenerationRow, idem: IdempotentCreate, ports: CreateOutcomePorts): GenerationRow {
  if (prior.idempotency_fingerprint !== idem.fingerprint)
    throw new DomainError(ErrorCode.CONFLICT, 'This Idempotency-Key was already used with a different request. Use a new key for a different request.');
  ports.onReplay(prior.api as ApiKind);
  return prior;
}
