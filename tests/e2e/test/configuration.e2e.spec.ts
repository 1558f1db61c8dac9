import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Every service, as it is started in production (its built main.js), refuses a misspelt or invalid
 * PIPEVIDEO_* setting before it does anything, with a message naming the variable (issue 14). No
 * database or NATS is needed: the check runs first.
 */
const root = join(__dirname, '../../..');
const mains = ['gateway', 'billing', 'router', 'providers', 'webhooks', 'embedded'].map((s) => [s, join(root, 'apps', s, 'dist', 'main.js')] as const);

function start(main: string, extra: Record<string, string>) {
  // A clean environment apart from the variable under test (no settings inherited from the test runner).
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'fatal', PORT: '0', ...extra };
  const r = spawnSync(process.execPath, [main], { env, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('a misconfigured service stops at start, naming the variable', () => {
  it.each(mains)('%s: a misspelt PIPEVIDEO_* name, with the setting it probably meant', (_service, main) => {
    const r = start(main, { PIPEVIDEO_SWEEP_INTERVALL_MS: '300' });
    expect(r.status).toBe(1);
    expect(r.output).toContain('PIPEVIDEO_SWEEP_INTERVALL_MS is not a Pipevideo setting');
    expect(r.output).toContain('did you mean PIPEVIDEO_SWEEP_INTERVAL_MS?');
  });

  it.each(mains)('%s: an invalid value', (_service, main) => {
    const r = start(main, { PIPEVIDEO_WEBHOOKS_ALLOW_HTTP: 'yes please' });
    expect(r.status).toBe(1);
    // (JSON-escaped in a service's log line, plain in embedded mode's sentence)
    expect(r.output).toMatch(/PIPEVIDEO_WEBHOOKS_ALLOW_HTTP=\\?"yes please\\?": must be true or false/);
  });

  // Every other production secret of each is given: the refusal names the storage key alone.
  const otherSecrets: Record<string, Record<string, string>> = {
    gateway: { PIPEVIDEO_ADMIN_TOKEN: 'admin-token' },
    router: {},
    providers: { PIPEVIDEO_BYOK_ENCRYPTION_KEY: 'byok-key' },
  };
  it.each(mains.filter(([s]) => s in otherSecrets))('%s: in production on the disk driver, refuses to start without the shared link-signing key', (service, main) => {
    const r = start(main, { NODE_ENV: 'production', ...otherSecrets[service] });
    expect(r.status).toBe(1);
    expect(r.output).toContain(`${service} refuses to start in production without PIPEVIDEO_STORAGE_SIGNING_KEY (signs links to stored outputs alike on every service and replica`);
  });
});
