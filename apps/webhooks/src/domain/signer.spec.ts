import { Webhook } from 'standardwebhooks';
import { generateSigningSecret } from './secrets';
import { Signer } from './signer';

describe('Signer (Standard Webhooks)', () => {
  const body = JSON.stringify({ type: 'video.generation.completed', timestamp: '2026-01-01T00:00:00.000Z', data: { generationId: 'gen_1' } });

  it('produces headers the standardwebhooks package verifies', () => {
    const secret = generateSigningSecret();
    const h = new Signer().sign('msg_1', new Date(), body, [secret]);
    expect(h['webhook-id']).toBe('msg_1');
    expect(h['webhook-timestamp']).toMatch(/^\d{10}$/);
    expect(h['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, { ...h })).toEqual(JSON.parse(body));
  });

  it('signs with every active secret during a rotation, each verifiable on its own', () => {
    const [current, previous] = [generateSigningSecret(), generateSigningSecret()];
    const h = new Signer().sign('msg_2', new Date(), body, [current, previous]);
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(current).verify(body, { ...h })).not.toThrow();
    expect(() => new Webhook(previous).verify(body, { ...h })).not.toThrow();
    expect(() => new Webhook(generateSigningSecret()).verify(body, { ...h })).toThrow();
  });

  it('a changed body or an old timestamp does not verify', () => {
    const secret = generateSigningSecret();
    const h = new Signer().sign('msg_3', new Date(), body, [secret]);
    expect(() => new Webhook(secret).verify(body.replace('gen_1', 'gen_2'), { ...h })).toThrow();
    const old = new Signer().sign('msg_3', new Date(Date.now() - 10 * 60_000), body, [secret]);
    expect(() => new Webhook(secret).verify(body, { ...old })).toThrow(/too old/);
  });
});
