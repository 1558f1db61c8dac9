/**
 * Real-browser helpers for the dashboard's end-to-end tests: Debian's Chromium driven by playwright-core
 * (no browser download: `.ci/run` installs the `chromium` package when it is missing), the built
 * dashboard's location, its own server as microservices mode deploys it, and page screenshots.
 */
import { ChildProcess, execFileSync, fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { http, waitFor } from './http';
import { reservePorts } from './platform';

const ROOT = resolve(__dirname, '../../../..');

/** The built single-page app (apps/dashboard `dist/public`), as the gateway serves it with PIPEVIDEO_DASHBOARD_DIR. */
export const DASHBOARD_DIR = join(dirname(require.resolve('@pipevideo/dashboard/package.json')), 'dist/public');

/** Where the run writes each page's screenshot (committed; the README shows them). */
export const SCREENSHOT_DIR = join(ROOT, 'docs/screenshots');

/** The system's Chromium: CHROMIUM_PATH, else `chromium` (Debian) or `chromium-browser` on the PATH. */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      /* next */
    }
  }
  throw new Error('No Chromium found: install Debian\'s package (apt-get install -y chromium) or set CHROMIUM_PATH');
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'] });
}

/** Saves the page as docs/screenshots/<name>.png (the viewport, as a person sees it). */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: false, animations: 'disabled' });
}

export interface DashboardServerProcess {
  url: string;
  stop(): Promise<void>;
}

/** The dashboard's own deployable (apps/dashboard/dist/server/main.js) in front of a gateway, as its own process. */
export async function startDashboardServerProcess(apiUrl: string): Promise<DashboardServerProcess> {
  const port = await reservePorts();
  const child: ChildProcess = fork(join(ROOT, 'apps/dashboard/dist/server/main.js'), [], {
    env: { ...(process.env as Record<string, string>), NODE_ENV: 'test', LOG_LEVEL: 'error', PORT: String(port), HOST: '127.0.0.1', PIPEVIDEO_API_URL: apiUrl },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor('dashboard server ready', async () => (await http('GET', `${url}/health/ready`)).status === 200, 30_000, 150);
  return {
    url,
    stop: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode) return r();
        child.once('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}
