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
});
