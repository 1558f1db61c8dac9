import { canonicalJson, fingerprint } from '../src/util/fingerprint';

describe('request fingerprint', () => {
  it('ignores key order and undefined members, not values', () => {
    expect(canonicalJson({ b: [1, { y: 2, x: 1 }], a: 'z', u: undefined })).toBe('{"a":"z","b":[1,{"x":1,"y":2}]}');
    expect(fingerprint({ model: 'm', prompt: 'p' })).toBe(fingerprint({ prompt: 'p', model: 'm' }));
    expect(fingerprint({ model: 'm', prompt: 'p' })).not.toBe(fingerprint({ model: 'm', prompt: 'q' }));
    expect(fingerprint({ a: [1, 2] })).not.toBe(fingerprint({ a: [2, 1] }));
  });
});
