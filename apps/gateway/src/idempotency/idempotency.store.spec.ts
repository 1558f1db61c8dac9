import { canonicalJson, requestHash } from './idempotency.store';

describe('idempotency request hash', () => {
  it('ignores key order, not values', () => {
    expect(canonicalJson({ b: [1, { y: 2, x: 1 }], a: 'z' })).toBe('{"a":"z","b":[1,{"x":1,"y":2}]}');
    const h = (body: unknown) => requestHash({ method: 'POST', route: '/v1/video/generations', params: {}, body });
    expect(h({ model: 'm', prompt: 'p' })).toBe(h({ prompt: 'p', model: 'm' }));
    expect(h({ model: 'm', prompt: 'p' })).not.toBe(h({ model: 'm', prompt: 'q' }));
    expect(requestHash({ method: 'POST', route: '/v1/responses', params: {}, body: {} })).not.toBe(h({}));
  });
});
