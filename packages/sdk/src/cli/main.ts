#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_BASE_URL } from '../client';
import { InsufficientBalanceError, PermissionDeniedError, PipevideoError } from '../errors';
import { Pipevideo } from '../node';
import { configFile, readConfig, removeConfig, writeConfig } from './config';
import { EXIT, exitCodeOf, NoApiKeyError } from './exit-codes';
import { dollars, table } from './output';
import { progressView } from './progress';

interface GlobalOpts {
  apiKey?: string;
  baseUrl?: string;
  json?: boolean;
}

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);
const printJson = (v: unknown): void => void out(`${JSON.stringify(v, null, 2)}\n`);

/** Key and base URL: flag, then environment, then what `login` stored. */
async function connection(g: GlobalOpts): Promise<{ apiKey?: string; baseUrl: string }> {
  const cfg = await readConfig();
  return {
    apiKey: g.apiKey ?? process.env.PIPEVIDEO_API_KEY ?? cfg.apiKey,
    baseUrl: g.baseUrl ?? process.env.PIPEVIDEO_BASE_URL ?? cfg.baseUrl ?? DEFAULT_BASE_URL,
  };
}

async function client(g: GlobalOpts): Promise<Pipevideo> {
  const c = await connection(g);
  if (!c.apiKey) throw new NoApiKeyError();
  return new Pipevideo({ apiKey: c.apiKey, baseUrl: c.baseUrl });
}

async function readKeyFromStdin(): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stdin.isTTY ? process.stderr : undefined, terminal: !!process.stdin.isTTY });
  try {
    return (await rl.question(process.stdin.isTTY ? 'API key (pv_…): ' : '')).trim();
  } finally {
    rl.close();
  }
}

const positiveNumber = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CommanderError(EXIT.USAGE, 'pipevideo.invalidArgument', `error: ${name} must be a positive number (got "${v}")`);
  return n;
};

const packageVersion = (): string => (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;

export function buildProgram(): Command {
  const program = new Command('pipevideo')
    .description('Pipevideo from the command line: generate videos, list models, check usage, manage keys and webhooks.')
    .version(packageVersion())
    .option('--api-key <key>', 'API key (default: PIPEVIDEO_API_KEY, then the key saved by `pipevideo login`)')
    .option('--base-url <url>', `gateway URL (default: PIPEVIDEO_BASE_URL, then the saved one, then ${DEFAULT_BASE_URL})`)
    .option('--json', 'print the API objects as JSON (for scripts)')
    .showHelpAfterError('(run pipevideo --help for usage)')
    .exitOverride();
  const g = () => program.opts<GlobalOpts>();

  program
    .command('login')
    .description('save an API key (and base URL) in your config directory, readable only by you (0600)')
    .action(async () => {
      const c = await connection(g());
      const apiKey = g().apiKey ?? (await readKeyFromStdin());
      if (!/^pv_[A-Za-z0-9]{20,}$/.test(apiKey)) throw new PipevideoError('That does not look like a Pipevideo API key (pv_ followed by letters and digits).', 0, 'USAGE');
      let kind = 'standard';
      try {
        await new Pipevideo({ apiKey, baseUrl: c.baseUrl, maxRetries: 0 }).balance();
      } catch (e) {
        // A management key cannot read the balance: it is still a valid key (for `pipevideo keys`).
        if (!(e instanceof PermissionDeniedError)) throw e;
        kind = 'management';
      }
      const file = await writeConfig({ apiKey, baseUrl: c.baseUrl });
      if (g().json) printJson({ saved: file, base_url: c.baseUrl, key_kind: kind });
      else out(`Logged in to ${c.baseUrl} with a ${kind} key. Saved to ${file} (mode 600).\n`);
    });

  program
    .command('logout')
    .description('forget the saved API key')
    .action(async () => {
      await removeConfig();
      if (g().json) printJson({ removed: configFile() });
      else out(`Removed ${configFile()}.\n`);
    });

  program
    .command('generate')
    .description('generate a video, show its progress and download it')
    .option('--model <slug>', 'model slug, e.g. google/veo-3.1 (see `pipevideo models`)')
    .option('--models <slugs>', 'comma-separated fallback list, tried in order')
    .requiredOption('--prompt <text>', 'what the video shows')
    .option('--duration <seconds>', "seconds (one of the model's durations)", positiveNumber('--duration'))
    .option('--resolution <res>', 'e.g. 720p, 1080p')
    .option('--aspect-ratio <ratio>', 'e.g. 16:9, 9:16')
    .option('--image <url>', 'image for image-to-video (https URL or data: URI)')
    .option('--audio', 'generate audio')
    .option('--out <file>', 'download the video to this file when done')
    .option('--timeout <seconds>', 'stop waiting after this long (default 900)', positiveNumber('--timeout'))
    .action(async (o: Record<string, any>) => {
      if (!o.model === !o.models) throw new CommanderError(EXIT.USAGE, 'pipevideo.usage', 'error: pass --model <slug> or --models <a,b>, not both and not neither');
      const pv = await client(g());
      const body = {
        ...(o.model ? { model: o.model } : { models: String(o.models).split(',').map((s: string) => s.trim()).filter(Boolean) }),
        prompt: o.prompt,
        ...(o.duration ? { duration: o.duration } : {}),
        ...(o.resolution ? { resolution: o.resolution } : {}),
        ...(o.aspectRatio ? { aspectRatio: o.aspectRatio } : {}),
        ...(o.image ? { imageUrl: o.image } : {}),
        ...(o.audio ? { withAudio: true } : {}),
      };
      const view = progressView();
      let done;
      try {
        done = await pv.generate(body, { onProgress: (p) => view.update(p), timeoutMs: (o.timeout ?? 900) * 1000 });
      } finally {
        view.stop();
      }
      const saved = o.out ? await pv.download(done.id, o.out) : undefined;
      if (g().json) printJson({ ...done, ...(saved ? { file: saved.path, bytes: saved.bytes } : {}) });
      else
        out(
          `Completed ${done.id}: ${done.model}${done.provider ? ` on ${done.provider}` : ''}, ${done.duration ?? '?'} s ${done.resolution ?? ''}, cost ${dollars(done.cost_cents)}\n` +
            (saved ? `Saved ${saved.path} (${saved.bytes} bytes)\n` : `Video: ${done.output_url}\n`),
        );
    });

  program
    .command('models')
    .description('list the models you can generate with, with durations and prices')
    .action(async () => {
      const models = await (await publicClient(g())).models();
      if (g().json) return printJson(models);
      out(table(models.map((m) => ({ id: m.id, durations: m.durations, resolutions: m.resolutions, aspect_ratios: m.aspect_ratios, from: m.pricing ? `${dollars(m.pricing.per_second_cents)}/s` : '-' })), ['id', 'durations', 'resolutions', 'aspect_ratios', 'from']));
    });

  program
    .command('engines')
    .description('list the Responses API engines')
    .action(async () => {
      const engines = await (await publicClient(g())).engines();
      if (g().json) return printJson(engines);
      out(table(engines, ['id', 'name', 'description'].filter((c) => engines.some((e) => c in e))));
    });

  program
    .command('usage')
    .description('balance and recent charges')
    .option('--from <time>', 'start (unix seconds or ISO 8601)')
    .option('--to <time>', 'end (unix seconds or ISO 8601)')
    .option('--limit <n>', 'rows (1–100)', positiveNumber('--limit'))
    .action(async (o: Record<string, any>) => {
      const u = await (await client(g())).usage({ ...(o.from ? { from: o.from } : {}), ...(o.to ? { to: o.to } : {}), ...(o.limit ? { limit: o.limit } : {}) });
      if (g().json) return printJson(u);
      const b = u.balance ?? u;
      out(`Balance ${dollars(b.balance_cents)} (held ${dollars(b.held_cents)}, available ${dollars(b.available_cents)})\n`);
      const rows = (u.data ?? []) as Array<Record<string, unknown>>;
      if (rows.length) out(table(rows.map((r) => ({ ...r, cost: dollars(r.cost_cents as number) })), ['id', 'api', 'model', 'status', 'cost', 'created_at'].filter((c) => c === 'cost' || rows.some((r) => c in r))));
    });

  const keys = program.command('keys').description('API keys of your organization (needs a management key)');
  keys
    .command('list', { isDefault: true })
    .description('list keys')
    .action(async () => {
      const r = await (await client(g())).listKeys();
      if (g().json) return printJson(r);
      out(table(r.data ?? [], ['id', 'name', 'kind', 'prefix', 'created_at', 'revoked_at'].filter((c) => (r.data ?? []).some((k: object) => c in k))));
    });
  keys
    .command('create')
    .description('issue a key (its secret is shown once)')
    .requiredOption('--name <name>', 'a name you will recognise')
    .addOption(new Option('--kind <kind>', 'key kind').choices(['standard', 'management']))
    .action(async (o: Record<string, any>) => {
      const r = await (await client(g())).createKey({ name: o.name, ...(o.kind ? { kind: o.kind } : {}) } as never);
      if (g().json) return printJson(r);
      out(`Created ${r.id}. Secret (shown once): ${r.key ?? r.secret}\n`);
    });
  keys
    .command('revoke <id>')
    .description('revoke a key')
    .action(async (id: string) => {
      const r = await (await client(g())).revokeKey(id);
      if (g().json) return printJson(r);
      out(`Revoked ${id}.\n`);
    });

  const hooks = program.command('webhooks').description('webhook endpoints that receive video.generation.completed');
  hooks
    .command('list', { isDefault: true })
    .description('list endpoints')
    .action(async () => {
      const r = await (await client(g())).listWebhooks();
      if (g().json) return printJson(r);
      out(table(r.data ?? [], ['id', 'url', 'enabled', 'events', 'created_at'].filter((c) => (r.data ?? []).some((k: object) => c in k))));
    });
  hooks
    .command('create')
    .description('register an endpoint (its signing secret is shown once)')
    .requiredOption('--url <url>', 'https URL that receives the events')
    .option('--description <text>')
    .action(async (o: Record<string, any>) => {
      const r = await (await client(g())).createWebhook({ url: o.url, ...(o.description ? { description: o.description } : {}) } as never);
      if (g().json) return printJson(r);
      out(`Created ${r.id} → ${r.url}. Signing secret (shown once): ${r.secret}\nVerify deliveries with verifyWebhook(headers, body, secret) from @pipevideo/sdk.\n`);
    });
  hooks
    .command('delete <id>')
    .description('delete an endpoint')
    .action(async (id: string) => {
      const r = await (await client(g())).deleteWebhook(id);
      if (g().json) return printJson(r);
      out(`Deleted ${id}.\n`);
    });
  hooks
    .command('test <id>')
    .description('send a signed webhook.test event to an endpoint')
    .action(async (id: string) => {
      const r = await (await client(g())).testWebhook(id);
      if (g().json) return printJson(r);
      out(`Sent a test event to ${id}.\n`);
    });

  return program;
}

/** Models and engines are public: a placeholder key is enough when none is configured. */
async function publicClient(g: GlobalOpts): Promise<Pipevideo> {
  const c = await connection(g);
  return new Pipevideo({ apiKey: c.apiKey ?? 'pv_public', baseUrl: c.baseUrl });
}

/** What to tell a person, beyond the API's own message. */
function hint(e: unknown, baseUrl: string): string {
  if (e instanceof InsufficientBalanceError) return `Add credits at ${baseUrl}/billing (or POST /v1/billing/checkout), then retry.`;
  if (exitCodeOf(e) === EXIT.AUTH && !(e instanceof NoApiKeyError)) return 'Check the key: `pipevideo login` saves a new one; key management needs a management key.';
  if (exitCodeOf(e) === EXIT.UNAVAILABLE) return `Is Pipevideo reachable at ${baseUrl}? Retry in a moment${e instanceof PipevideoError && e.retryAfter !== undefined ? ` (after ${e.retryAfter} s)` : ''}.`;
  return '';
}

export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
      if (e.code.startsWith('pipevideo.')) err(`${e.message}\n`);
      return EXIT.USAGE;
    }
    const code = exitCodeOf(e);
    const opts = program.opts<GlobalOpts>();
    const baseUrl = (await connection(opts).catch(() => ({ baseUrl: DEFAULT_BASE_URL }))).baseUrl;
    const message = e instanceof Error ? e.message : String(e);
    if (opts.json) printJson({ error: { message, code: e instanceof PipevideoError ? e.code : 'ERROR', status: e instanceof PipevideoError ? e.status : null, exit_code: code } });
    const h = hint(e, baseUrl);
    err(`Error: ${message}\n${h ? `${h}\n` : ''}`);
    return code;
  }
}

if (require.main === module) {
  run(process.argv).then((code) => process.exit(code));
}
