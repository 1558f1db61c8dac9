/**
 * @pipevideo/sdk and the `pipevideo` CLI against the running platform (microservices mode), as a
 * customer uses them: the SDK's generated types match the served OpenAPI document, generate() waits
 * and download() fetches the bytes, typed errors, webhook verification; the CLI logs in (0600), shows
 * a live progress bar in a real terminal (util-linux `script` gives it a pty) and exits with its
 * documented codes.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SAMPLE_MP4 } from '@pipevideo/sandboxes';
import { GenerationFailedError, InsufficientBalanceError, NotFoundError, Pipevideo, verifyWebhook, WebhookVerificationError } from '@pipevideo/sdk';
import { waitFor } from './harness/http';
import { bootMicroservices, createFundedOrg, issueKey, Platform } from './harness/platform';

const SDK_DIR = join(__dirname, '../../../packages/sdk');
const CLI = join(SDK_DIR, 'dist/cli/main.js');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without a terminal (pipes), as a script would. */
function cli(args: string[], env: Record<string, string>, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', HOME: env.HOME ?? tmpdir(), ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** Runs the CLI in a pseudo-terminal (`script` from util-linux) and returns everything the terminal showed. */
function cliInTty(args: string[], env: Record<string, string>): Promise<Run> {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return new Promise((resolve) => {
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { env: { PATH: process.env.PATH ?? '', HOME: env.HOME ?? tmpdir(), TERM: 'xterm', COLUMNS: '120', ...env } });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stdout += c));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr: '' }));
    child.stdin.end();
  });
}

async function receiver(): Promise<{ url: string; got: Array<{ headers: IncomingHttpHeaders; body: string }>; server: Server }> {
  const got: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, got, server };
}

describe('@pipevideo/sdk and the pipevideo CLI (microservices mode)', () => {
  let p: Platform;
  let org: { orgId: string; key: string };
  let pv: Pipevideo;
  let skip = false;

  beforeAll(async () => {
    ({ p, skip } = await bootMicroservices());
    if (skip) return;
    org = await createFundedOrg(p.baseUrl, p.adminToken, 20_000, 'sdk org');
    pv = new Pipevideo({ apiKey: org.key, baseUrl: p.baseUrl });
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it("the SDK's generated types match the OpenAPI document the gateway serves (regenerate with `pnpm --filter @pipevideo/sdk generate`)", async () => {
    if (skip) return;
    const run = await promisify(execFile)(process.execPath, [join(SDK_DIR, 'scripts/generate-types.mjs'), '--check', '--url', `${p.baseUrl}/openapi.json`]).then(
      (r) => ({ code: 0, out: r.stdout + r.stderr }),
      (e) => ({ code: e.code as number, out: String(e.stdout) + String(e.stderr) }),
    );
    expect(run.out).toMatch(/matches the OpenAPI document/);
    expect(run.code).toBe(0);
  });

  it('generate() waits with backoff and returns the completed generation; download() writes the file; the webhook verifies', async () => {
    if (skip) return;
    const recv = await receiver();
    try {
      const endpoint = await pv.createWebhook({ url: recv.url } as never);
      const seen: string[] = [];
      const done = await pv.generate({ model: 'google/veo-3.1', prompt: 'A cat walking on a beach at sunset', duration: 4 }, { onProgress: (x) => seen.push(x.status), backoff: { initialMs: 200, maxMs: 500 } });
      expect(done).toMatchObject({ status: 'completed', model: 'google/veo-3.1', duration: 4 });
      expect(seen[0]).toBe('pending');
      expect(seen.at(-1)).toBe('completed');
      const dir = mkdtempSync(join(tmpdir(), 'pv-sdk-'));
      const saved = await pv.download(done.id, join(dir, 'cat.mp4'));
      expect(saved.bytes).toBe(SAMPLE_MP4.length);
      expect(readFileSync(join(dir, 'cat.mp4')).equals(SAMPLE_MP4)).toBe(true);

      const delivery = await waitFor('webhook', async () => recv.got.find((d) => d.body.includes(done.id)));
      const event = verifyWebhook(delivery.headers as Record<string, string>, delivery.body, endpoint.secret);
      expect(event).toMatchObject({ type: 'video.generation.completed', data: { generationId: done.id, status: 'completed', api: 'video' } });
      expect(() => verifyWebhook(delivery.headers as Record<string, string>, delivery.body.replace('completed', 'failed'), endpoint.secret)).toThrow(WebhookVerificationError);
    } finally {
      recv.server.close();
    }
  });

  it('typed errors: insufficient balance, not found, a failed generation; creates are idempotent by key', async () => {
    if (skip) return;
    const broke = await createFundedOrg(p.baseUrl, p.adminToken, 0, 'sdk broke org');
    await expect(new Pipevideo({ apiKey: broke.key, baseUrl: p.baseUrl }).createGeneration({ model: 'google/veo-3.1', prompt: 'x' })).rejects.toBeInstanceOf(InsufficientBalanceError);
    const nf = await pv.getGeneration('gen_doesnotexist00000000').catch((e) => e);
    expect(nf).toBeInstanceOf(NotFoundError);
    expect(nf.requestId).toBeTruthy();
    const failed = await pv.generate({ model: 'wan/2.5', prompt: 'doomed [any:accept_then_fail]' }, { backoff: { initialMs: 200, maxMs: 500 } }).catch((e) => e);
    expect(failed).toBeInstanceOf(GenerationFailedError);
    expect(failed.generation.status).toBe('failed');
    const a = await pv.createGeneration({ model: 'wan/2.5', prompt: 'once' }, { idempotencyKey: 'sdk-e2e-key-1' });
    const b = await pv.createGeneration({ model: 'wan/2.5', prompt: 'once' }, { idempotencyKey: 'sdk-e2e-key-1' });
    expect(b.id).toBe(a.id);
  });

  it('CLI: login stores the key 0600, generate shows a live progress bar in a terminal and downloads the file', async () => {
    if (skip) return;
    const home = mkdtempSync(join(tmpdir(), 'pv-cli-'));
    const env = { HOME: home, XDG_CONFIG_HOME: join(home, '.config'), PIPEVIDEO_BASE_URL: p.baseUrl };
    // No key anywhere: exit 3 with what to do.
    const none = await cli(['usage'], env);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/pipevideo login/);

    const login = await cli(['login'], env, `${org.key}\n`);
    expect(login.stderr).toBe('');
    expect(login.code).toBe(0);
    const config = join(home, '.config/pipevideo/config.json');
    expect(statSync(config).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ apiKey: org.key, baseUrl: p.baseUrl });

    const out = join(home, 'cat.mp4');
    const tty = await cliInTty(['generate', '--model', 'google/veo-3.1', '--prompt', 'A cat walking on a beach', '--duration', '4', '--out', out], env);
    expect(tty.code).toBe(0);
    // The bar is redrawn in place (carriage control) through the statuses up to 100 %.
    expect(tty.stdout).toMatch(/░+ 0% \| pending \| \d+s \| gen_/);
    expect(tty.stdout).toMatch(/█{24} 100% \| completed \| \d+s \| gen_/);
    expect(tty.stdout).toContain('\u001b[1G');
    expect(tty.stdout).toMatch(/Completed gen_\w+: google\/veo-3\.1 on fal, 4 s 720p, cost \$0\.80/);
    expect(tty.stdout).toContain(`Saved ${out} (${SAMPLE_MP4.length} bytes)`);
    expect(readFileSync(out).equals(SAMPLE_MP4)).toBe(true);
  });

  it('CLI: --json for scripts, status lines without a terminal, and exit codes scripts can rely on', async () => {
    if (skip) return;
    const env = { HOME: mkdtempSync(join(tmpdir(), 'pv-cli-')), PIPEVIDEO_BASE_URL: p.baseUrl, PIPEVIDEO_API_KEY: org.key };
    const gen = await cli(['--json', 'generate', '--model', 'wan/2.5', '--prompt', 'A dog'], env);
    expect(gen.code).toBe(0);
    const g = JSON.parse(gen.stdout);
    expect(g).toMatchObject({ status: 'completed', model: 'wan/2.5' });
    expect(gen.stderr).toMatch(new RegExp(`${g.id} pending 0%`));
    expect(gen.stderr).toMatch(new RegExp(`${g.id} completed 100%`));

    const models = await cli(['models', '--json'], env);
    expect(JSON.parse(models.stdout).map((m: { id: string }) => m.id)).toContain('google/veo-3.1');
    expect((await cli(['models'], env)).stdout).toMatch(/^ID\s+DURATIONS/);
    expect(JSON.parse((await cli(['engines', '--json'], env)).stdout).length).toBeGreaterThan(0);
    const usage = await cli(['usage'], env);
    expect(usage.code).toBe(0);
    expect(usage.stdout).toMatch(/^Balance \$/);

    // Keys need a management key: a standard key is refused (3); a management key lists them.
    const keysStd = await cli(['keys'], env);
    expect(keysStd.code).toBe(3);
    const mgmt = await issueKey(p.baseUrl, p.adminToken, org.orgId, 'management');
    const keys = await cli(['keys', 'list', '--json'], { ...env, PIPEVIDEO_API_KEY: mgmt.key });
    expect(keys.code).toBe(0);
    expect(JSON.parse(keys.stdout).data.length).toBeGreaterThanOrEqual(2);

    const hook = await cli(['webhooks', 'create', '--url', 'https://example.com/hooks', '--json'], env);
    expect(hook.code).toBe(0);
    const hookId = JSON.parse(hook.stdout).id;
    expect((await cli(['webhooks', '--json'], env)).stdout).toContain(hookId);
    expect((await cli(['webhooks', 'delete', hookId], env)).code).toBe(0);

    // 2: bad command line; 4: no balance, with where to add credits; 5: the generation failed; 6: refused.
    expect((await cli(['generate', '--model', 'wan/2.5'], env)).code).toBe(2);
    const broke = await createFundedOrg(p.baseUrl, p.adminToken, 0, 'cli broke org');
    const poor = await cli(['generate', '--model', 'wan/2.5', '--prompt', 'x'], { ...env, PIPEVIDEO_API_KEY: broke.key });
    expect(poor.code).toBe(4);
    expect(poor.stderr).toContain(`${p.baseUrl}/billing`);
    const failed = await cli(['--json', 'generate', '--model', 'wan/2.5', '--prompt', 'doomed [any:accept_then_fail]'], env);
    expect(failed.code).toBe(5);
    expect(JSON.parse(failed.stdout).error.exit_code).toBe(5);
    const refused = await cli(['generate', '--model', 'google/veo-3.1', '--prompt', 'x', '--duration', '5'], env);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/4, 6, 8/);
    expect((await cli(['usage'], { ...env, PIPEVIDEO_API_KEY: 'pv_' + 'x'.repeat(40) })).code).toBe(3);
    expect((await cli(['usage'], { ...env, PIPEVIDEO_BASE_URL: 'http://127.0.0.1:9' })).code).toBe(7);
  });
});
