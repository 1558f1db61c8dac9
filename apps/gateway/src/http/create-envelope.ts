import type { Attribution, KeyLimit } from '@pipevideo/contracts';
import { keyOfCreate, type Principal } from '../auth/key-authenticator';
import { forwardedIdempotencyKey } from '../idempotency/idempotency.interceptor';
import { attributionFrom } from './attribution';

/** What every create sends the router besides its request (see createEnvelope). */
export interface CreateEnvelope {
  orgId: string;
  maxInFlight?: number;
  keyId: string;
  keyLimit?: KeyLimit;
  attribution?: Attribution;
  idempotencyKey?: string;
}

/**
 * What every create sends the router besides its request, whichever face it came through (`POST
 * /v1/video/generations`, `/v1/responses`, `/v1/videos`): the org and its cap on generations in flight,
 * the API key and its spend limit (billing refuses a hold beyond it), attribution and the
 * Idempotency-Key. One place, so a face cannot leave a limit out (`/v1/videos` once sent neither the
 * cap nor the key).
 */
export function createEnvelope(p: Principal, headers: Record<string, string | string[] | undefined>): CreateEnvelope {
  const attribution = attributionFrom(headers);
  return {
    orgId: p.orgId,
    maxInFlight: p.maxConcurrentGenerations,
    ...(attribution ? { attribution } : {}),
    ...forwardedIdempotencyKey(headers),
    ...keyOfCreate(p),
  };
}
