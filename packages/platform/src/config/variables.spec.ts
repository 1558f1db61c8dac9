import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertEnvironment, ConfigError, didYouMean, environmentProblems, readVariable, VARIABLES } from './variables';
import { envBool, envInt, envStr } from './env';

describe('environment check at service start', () => {
  it('accepts valid settings, and ignores names outside PIPEVIDEO_* it has no rule for', () => {
    expect(environmentProblems({ PIPEVIDEO_WEBHOOKS_TIMEOUT_MS: '5000', PIPEVIDEO_ALLOW_PRIVATE_URLS: 'true', PIPEVIDEO_WEBHOOKS_RETRY_SCHEDULE: '200ms,400ms', HOME: '/x', PORT: '3001' })).toEqual([]);
  });

  it('a misspelt PIPEVIDEO_* name stops the service, naming it and the setting it probably meant', () => {
    const problems = environmentProblems({ PIPEVIDEO_WEBHOOKS_TIMEOUT_MSS: '5000' });
    expect(problems).toEqual([expect.stringMatching(/^PIPEVIDEO_WEBHOOKS_TIMEOUT_MSS is not a Pipevideo setting — did you mean PIPEVIDEO_WEBHOOKS_TIMEOUT_MS\?/)]);
    expect(() => assertEnvironment({ PIPEVIDEO_RATE_LIMT_PER_MINUTE: '10' })).toThrow(/did you mean PIPEVIDEO_RATE_LIMIT_PER_MINUTE\?/);
  });

  it('an unknown name far from every setting gets no guess', () => {
    expect(environmentProblems({ PIPEVIDEO_COMPLETELY_DIFFERENT_THING: '1' })).toEqual([expect.not.stringContaining('did you mean')]);
  });

  it.each([
    ['PIPEVIDEO_WEBHOOKS_TIMEOUT_MS', '10s', /PIPEVIDEO_WEBHOOKS_TIMEOUT_MS="10s": must be a whole number/],
    ['PIPEVIDEO_SWEEP_INTERVAL_MS', '0', /PIPEVIDEO_SWEEP_INTERVAL_MS="0": must be at least 1/],
    ['PIPEVIDEO_HOLD_BATCH_SIZE', '257', /PIPEVIDEO_HOLD_BATCH_SIZE="257": must be at most 256/],
    ['PIPEVIDEO_ALLOW_PRIVATE_URLS', 'ture', /PIPEVIDEO_ALLOW_PRIVATE_URLS="ture": must be true or false/],
    ['PIPEVIDEO_WEBHOOKS_RETRY_JITTER', '1.5', /PIPEVIDEO_WEBHOOKS_RETRY_JITTER="1.5": must be below 1/],
    ['PIPEVIDEO_WEBHOOKS_RETRY_SCHEDULE', '5s,soon', /PIPEVIDEO_WEBHOOKS_RETRY_SCHEDULE="5s,soon": must be a comma-separated list of durations/],
    ['PIPEVIDEO_PROVIDERS_PUBLIC_URL', 'providers:3004', /PIPEVIDEO_PROVIDERS_PUBLIC_URL="providers:3004": must be an http\(s\) URL/],
    ['PIPEVIDEO_TRANSPORT', 'nats', /PIPEVIDEO_TRANSPORT="nats": must be auto or inprocess/],
    ['PORT', 'http', /PORT="http": must be a whole number/],
  ])('an invalid %s=%p stops the service with a message naming it', (name, value, expected) => {
    expect(environmentProblems({ [name]: value })).toEqual([expect.stringMatching(expected)]);
    expect(() => assertEnvironment({ [name]: value })).toThrow(ConfigError);
  });

  it('lists every problem at once', () => {
    const err = (() => { try { assertEnvironment({ PIPEVIDEO_SWEEP_INTERVAL_MS: 'x', PIPEVIDEO_BREAKER_VOLUMES: '5' }); } catch (e) { return e as ConfigError; } })()!;
    expect(err.problems).toHaveLength(2);
    expect(err.message).toMatch(/^2 configuration problems/);
  });

  it('the readers parse by the same rules: an invalid value read later throws naming the variable', () => {
    process.env.PIPEVIDEO_BREAKER_VOLUME = 'five';
    process.env.PIPEVIDEO_WEBHOOKS_ALLOW_HTTP = 'off';
    process.env.PIPEVIDEO_NATS_PREFIX = 'p1';
    try {
      expect(() => envInt('PIPEVIDEO_BREAKER_VOLUME', 5)).toThrow(/PIPEVIDEO_BREAKER_VOLUME="five": must be a whole number/);
      expect(envBool('PIPEVIDEO_WEBHOOKS_ALLOW_HTTP', true)).toBe(false);
      expect(envStr('PIPEVIDEO_NATS_PREFIX', '')).toBe('p1');
      expect(envInt('PIPEVIDEO_SWEEP_INTERVAL_MS', 1000)).toBe(1000);
      expect(readVariable('PIPEVIDEO_WEBHOOKS_ALLOW_HTTP')).toBe(false);
    } finally {
      delete process.env.PIPEVIDEO_BREAKER_VOLUME;
      delete process.env.PIPEVIDEO_WEBHOOKS_ALLOW_HTTP;
      delete process.env.PIPEVIDEO_NATS_PREFIX;
    }
  });

  it('didYouMean only suggests PIPEVIDEO_* settings', () => {
    expect(didYouMean('PIPEVIDEO_PORTT')).not.toBe('PORT');
  });

  it('every PIPEVIDEO_* name the repository reads or sets (code, tests, compose, Kubernetes, scripts) is a registered setting', () => {
    const root = join(__dirname, '../../../..');
    const out = execFileSync('git', ['grep', '-h', '-o', '-E', '-I', 'PIPEVIDEO_[A-Z0-9_]*[A-Z0-9]', '--', 'apps', 'packages', 'tests', 'scripts', 'infra', 'docker-compose.yml', '.env.example', ':!**/*.md',
      // (the tests of this check misspell names on purpose)
      ':!packages/platform/src/config/variables.spec.ts', ':!tests/e2e/test/configuration.e2e.spec.ts'], { cwd: root, encoding: 'utf8' });
    const used = [...new Set(out.split('\n').filter(Boolean))];
    // Prefixes used to build names (`PIPEVIDEO_WEBHOOKS_${name}`) are not names.
    const names = used.filter((n) => !['PIPEVIDEO_WEBHOOKS', 'PIPEVIDEO_CHECKOUT', 'PIPEVIDEO_STORAGE'].includes(n));
    expect(names.filter((n) => !(n in VARIABLES))).toEqual([]);
  });
});

describe('docs/configuration.md', () => {
  it('lists every registered setting', () => {
    const doc = readFileSync(join(__dirname, '../../../../docs/configuration.md'), 'utf8');
    expect(Object.keys(VARIABLES).filter((n) => !doc.includes(`\`${n}\``))).toEqual([]);
  });
});
