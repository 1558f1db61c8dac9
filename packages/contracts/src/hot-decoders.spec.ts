import { classDecoder, CreateGenerationMsg, decodeCreateGenerationMsg, decodePlaceHoldMsg, decodePlaceHoldsMsg, decodeSubmitJobMsg, PlaceHoldMsg, PlaceHoldsMsg, SubmitJobMsg } from './index';

/** What a decoder does with a payload: accepts it (with which fields), or refuses it with which code. */
function outcome(decode: (p: unknown) => unknown, payload: unknown): { ok: Record<string, unknown> } | { err: string } {
  try {
    return { ok: { ...(decode(payload) as object) } };
  } catch (err) {
    return { err: (err as { code: string }).code };
  }
}

const create = { v: 1, orgId: 'org_a', request: { models: ['google/veo-3.1'], prompt: 'a cat', provider: { order: ['fal'] } } };
const hold = { v: 1, orgId: 'org_a', holdId: 'gen_1:1', amountCents: 27, generationId: 'gen_1' };
const submit = { v: 1, generationId: 'gen_1', attempt: 1, provider: 'fal', providerModelId: 'fal-ai/veo3', params: { prompt: 'a cat' }, api: 'video' };

const cases: Array<[string, (p: unknown) => unknown, new () => object, unknown[]]> = [
  ['router.generation.create', decodeCreateGenerationMsg, CreateGenerationMsg, [
    create,
    { ...create, correlationId: 'c', attribution: { title: 'App', referer: 'https://a.example' }, idempotencyKey: 'k', maxInFlight: 100, keyId: 'key_1', keyLimit: { limitCents: 500, reset: 'daily' } },
    { ...create, attribution: null, idempotencyKey: null, keyLimit: undefined, extra: 'kept' },
    { ...create, orgId: '' },
    { ...create, orgId: 7 },
    { ...create, v: '1' },
    { ...create, v: 1.5 },
    { ...create, request: null },
    { ...create, request: ['models'] },
    { ...create, request: 'a cat' },
    { ...create, attribution: { title: 3 } },
    { ...create, idempotencyKey: 'k'.repeat(256) },
    { ...create, maxInFlight: 0 },
    { ...create, maxInFlight: 2.5 },
    { ...create, keyId: 'k'.repeat(65) },
    { ...create, keyLimit: { limitCents: -1, reset: 'daily' } },
    { ...create, keyLimit: { limitCents: 5, reset: 'hourly' } },
    { ...create, correlationId: 9 },
    { v: 1, request: create.request },
    null,
    [create],
    'text',
  ]],
  ['billing.hold.place', decodePlaceHoldMsg, PlaceHoldMsg, [
    hold,
    { ...hold, keyId: 'key_1', keyLimitCents: 100, keyLimitReset: 'monthly', correlationId: 'c' },
    { ...hold, keyId: null, keyLimitCents: null, keyLimitReset: null },
    { ...hold, amountCents: 0 },
    { ...hold, amountCents: -1 },
    { ...hold, amountCents: 1.5 },
    { ...hold, amountCents: '27' },
    { ...hold, holdId: '' },
    { ...hold, generationId: undefined },
    { ...hold, orgId: null },
    { ...hold, keyLimitReset: 'yearly' },
    { ...hold, keyLimitCents: -5 },
    { ...hold, keyId: 'k'.repeat(65) },
    {},
  ]],
  ['billing.hold.placeMany', decodePlaceHoldsMsg, PlaceHoldsMsg, [
    { v: 1, holds: [hold, { ...hold, holdId: 'gen_2:1', generationId: 'gen_2', correlationId: 'c2' }] },
    { v: 1, holds: [] },
    { v: 1, holds: Array.from({ length: 257 }, () => hold) },
    { v: 1, holds: [hold, { ...hold, amountCents: -1 }] },
    { v: 1, holds: [hold, 'hold'] },
    { v: 1, holds: hold },
    { v: 1 },
    { holds: [hold] },
  ]],
  ['providers.job.submit', decodeSubmitJobMsg, SubmitJobMsg, [
    submit,
    { ...submit, deadlineSeconds: 900, orgId: 'org_a', byok: true, correlationId: 'c' },
    { ...submit, deadlineSeconds: null, orgId: null, byok: null },
    { ...submit, attempt: 0 },
    { ...submit, attempt: '1' },
    { ...submit, provider: 3 },
    { ...submit, providerModelId: '' },
    { ...submit, params: null },
    { ...submit, params: [] },
    { ...submit, api: null },
    { ...submit, deadlineSeconds: '900' },
    { ...submit, orgId: '' },
    { ...submit, orgId: 'o'.repeat(65) },
    { ...submit, byok: 'yes' },
  ]],
];

describe.each(cases)('%s decoder (no class-transformer pass)', (_subject, fast, cls, payloads) => {
  it.each(payloads.map((p) => [JSON.stringify(p)?.slice(0, 80), p]))('accepts and refuses what the class decoder does: %s', (_label, payload) => {
    const slow = outcome(classDecoder(cls), payload);
    const quick = outcome(fast, payload);
    expect('ok' in quick).toBe('ok' in slow);
    if ('ok' in quick && 'ok' in slow) expect(JSON.parse(JSON.stringify(quick.ok))).toEqual(JSON.parse(JSON.stringify(slow.ok)));
    else expect(quick).toEqual(slow);
  });
  it('hands the payload on without copying it', () => {
    const p = payloads[0] as object;
    expect(fast(p)).toBe(p);
  });
});
