import { requestHash, withoutSecrets } from './idempotency.store';

describe('idempotency request hash', () => {
  it('ignores key order, not values', () => {
    const h = (body: unknown) => requestHash({ method: 'POST', route: '/v1/video/generations', params: {}, body });
    expect(h({ model: 'm', prompt: 'p' })).toBe(h({ prompt: 'p', model: 'm' }));
    expect(h({ model: 'm', prompt: 'p' })).not.toBe(h({ model: 'm', prompt: 'q' }));
    expect(requestHash({ method: 'POST', route: '/v1/responses', params: {}, body: {} })).not.toBe(h({}));
  });

  it('keeps no issued secret in the replayable answer', () => {
    expect(withoutSecrets({ id: 'key_1', key: 'pv_abc', name: 'k' })).toEqual({ id: 'key_1', key: null, name: 'k' });
    expect(withoutSecrets({ id: 'ep_1', secret: 'whsec_abc' })).toEqual({ id: 'ep_1', secret: null });
    expect(withoutSecrets({ id: 'gen_1', key: 'not-a-secret' })).toEqual({ id: 'gen_1', key: 'not-a-secret' });
    expect(withoutSecrets([1])).toEqual([1]);
  });
});
