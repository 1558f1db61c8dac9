import { missingProductionSecrets, productionSecretsProblem, type RequiredSecret } from './production-secrets';

const required: RequiredSecret[] = [
  { name: 'PIPEVIDEO_ADMIN_TOKEN', why: 'guards the operator API' },
  { name: 'STRIPE_WEBHOOK_SECRET', why: 'verifies Stripe events', when: (env) => !!env.STRIPE_SECRET_KEY },
];

describe('production secrets', () => {
  it('outside production nothing is required (dev, tests, embedded mode)', () => {
    expect(missingProductionSecrets(required, {})).toEqual([]);
    expect(productionSecretsProblem('gateway', required, { NODE_ENV: 'test' })).toBeNull();
  });

  it('in production a missing (or blank) secret stops the service with one sentence naming it', () => {
    expect(productionSecretsProblem('gateway', required, { NODE_ENV: 'production', PIPEVIDEO_ADMIN_TOKEN: '  ' })).toBe(
      'gateway refuses to start in production without PIPEVIDEO_ADMIN_TOKEN (guards the operator API): set it, or unset NODE_ENV=production for a local run.',
    );
    expect(productionSecretsProblem('gateway', required, { NODE_ENV: 'production', PIPEVIDEO_ADMIN_TOKEN: 't' })).toBeNull();
  });

  it('a conditional secret is required only when what it protects is configured', () => {
    const env = { NODE_ENV: 'production', PIPEVIDEO_ADMIN_TOKEN: 't', STRIPE_SECRET_KEY: 'sk' };
    expect(missingProductionSecrets(required, env).map((s) => s.name)).toEqual(['STRIPE_WEBHOOK_SECRET']);
    expect(missingProductionSecrets(required, { ...env, STRIPE_WEBHOOK_SECRET: 'whsec' })).toEqual([]);
  });
});
