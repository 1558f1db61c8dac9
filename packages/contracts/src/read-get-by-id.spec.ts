import { classDecoder, GetByIdMsg, readGetByIdMsg } from './index';

describe('readGetByIdMsg (hot subjects without class-transformer)', () => {
  const cases: unknown[] = [
    { v: 1, orgId: 'org_a', id: 'gen_1' },
    { v: 1, orgId: 'org_a', id: 'gen_1', correlationId: 'c' },
    { v: 1, orgId: '', id: 'gen_1' },
    { v: 1, orgId: 'org_a' },
    { v: '1', orgId: 'org_a', id: 'gen_1' },
    { v: 1.5, orgId: 'org_a', id: 'gen_1' },
    { v: 1, orgId: 'org_a', id: 7 },
    { v: 1, orgId: 'org_a', id: 'gen_1', correlationId: 3 },
    null,
    'text',
  ];
  it.each(cases)('accepts and refuses what the class decoder does: %j', (payload) => {
    const slow = (() => {
      try {
        return { ok: classDecoder(GetByIdMsg)(payload) };
      } catch (err) {
        return { err: (err as { code: string }).code };
      }
    })();
    const fast = (() => {
      try {
        return { ok: readGetByIdMsg(payload) };
      } catch (err) {
        return { err: (err as { code: string }).code };
      }
    })();
    expect('ok' in fast).toBe('ok' in slow);
    if ('ok' in fast && 'ok' in slow) expect({ ...fast.ok }).toEqual({ ...slow.ok });
    else expect(fast).toEqual(slow);
  });
});
