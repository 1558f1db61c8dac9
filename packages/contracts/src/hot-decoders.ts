/**
 * Decoders of the subjects every create crosses (`router.generation.create`, `billing.hold.place` and
 * `billing.hold.placeMany`, `providers.job.submit`): the same rules as their message classes' class-validator decorators (the
 * classes stay the types and the documentation), checked by a zod schema compiled once instead of a
 * class-transformer copy and a decorator walk per message — about 20× cheaper per message (see
 * docs/benchmarks.md). `hot-decoders.spec.ts` proves each accepts and refuses what its class does.
 * The payload itself is handed on (no copy), as the class decoder hands on every field it was sent.
 */
import { z } from 'zod';
import { DomainError, ErrorCode } from './errors';
import { KEY_LIMIT_RESETS } from './key-limits';
import { MAX_HOLDS_PER_REQUEST, type PlaceHoldsMsg } from './billing.messages';
import type { CreateGenerationMsg, PlaceHoldMsg, SubmitJobMsg } from './messages';

/** class-validator's @IsOptional: null and undefined are both "absent". */
const optional = <T extends z.ZodType>(t: T) => t.nullish();
/** @IsObject: a non-null object that is not an array (copied by nothing: z.custom keeps the reference). */
const object = z.custom<Record<string, unknown>>((v) => !!v && typeof v === 'object' && !Array.isArray(v), { message: 'must be an object' });
const nonEmpty = z.string().min(1);
const envelope = { v: z.int(), correlationId: optional(z.string()) };

const createGeneration = z.looseObject({
  ...envelope,
  orgId: nonEmpty,
  request: object,
  attribution: optional(z.looseObject({ referer: optional(z.string()), title: optional(z.string()) })),
  idempotencyKey: optional(z.string().max(255)),
  maxInFlight: optional(z.int().min(1)),
  keyId: optional(z.string().max(64)),
  keyLimit: optional(z.looseObject({ limitCents: z.int().min(0), reset: z.enum(KEY_LIMIT_RESETS) })),
});

const placeHold = z.looseObject({
  ...envelope,
  orgId: nonEmpty,
  holdId: nonEmpty,
  amountCents: z.int().min(0),
  generationId: nonEmpty,
  keyId: optional(z.string().max(64)),
  keyLimitCents: optional(z.int().min(0)),
  keyLimitReset: optional(z.enum(KEY_LIMIT_RESETS)),
});

const placeHolds = z.looseObject({ ...envelope, holds: z.array(placeHold).min(1).max(MAX_HOLDS_PER_REQUEST) });

const submitJob = z.looseObject({
  ...envelope,
  generationId: nonEmpty,
  attempt: z.int().min(1),
  provider: z.string(),
  providerModelId: nonEmpty,
  params: object,
  api: z.string(),
  deadlineSeconds: optional(z.number()),
  orgId: optional(nonEmpty.max(64)),
  byok: optional(z.boolean()),
});

/** A decoder checking `schema`; a refusal is a BAD_REQUEST naming the message and each field at fault. */
function zodDecoder<T>(name: string, schema: z.ZodType): (payload: unknown) => T {
  return (payload) => {
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new DomainError(ErrorCode.BAD_REQUEST, `${name}: the message must be an object`);
    const r = schema.safeParse(payload);
    if (!r.success) throw new DomainError(ErrorCode.BAD_REQUEST, `${name}: ${r.error.issues.map((i) => `${i.path.join('.') || 'message'} ${i.message}`).join('; ')}`);
    return payload as T;
  };
}

export const decodeCreateGenerationMsg = zodDecoder<CreateGenerationMsg>('CreateGenerationMsg', createGeneration);
export const decodePlaceHoldMsg = zodDecoder<PlaceHoldMsg>('PlaceHoldMsg', placeHold);
export const decodePlaceHoldsMsg = zodDecoder<PlaceHoldsMsg>('PlaceHoldsMsg', placeHolds);
export const decodeSubmitJobMsg = zodDecoder<SubmitJobMsg>('SubmitJobMsg', submitJob);
