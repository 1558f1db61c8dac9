import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FaultName, FaultRule, RunningSandbox, SandboxName, SandboxOptions, SandboxRequestLog } from '../types';
import type { AccountBook, SandboxAccount } from './accounts';
import { CallbackSender } from './callbacks';
import { JobClock } from './clock';
import { DEFAULT_FLAKY_PERCENT, DEFAULT_SLOW_MS, FaultBook, validateFaultRule } from './faults';
import { LOTTIE_CONTENT_TYPE, lottieAnimation, MP4_CONTENT_TYPE, SAMPLE_MP4 } from './media';
import { RequestLog } from './request-log';

const MAX_BODY = 25 * 1024 * 1024;

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  path: string;
  raw: Buffer;
  text: string;
  entry: SandboxRequestLog;
  /** The account whose token authenticated the request (sandboxes with an account book). */
  account?: SandboxAccount;
  header(name: string): string | undefined;
  /** Parsed JSON body, or undefined when absent / not JSON. */
  json(): unknown;
}

export interface Route {
  method: string | string[];
  pattern: RegExp;
  operation: string;
  /** Default true. */
  auth?: boolean;
  handle(ctx: Ctx, m: RegExpMatchArray): void | Promise<void>;
}

export interface SubmitFaultSpec {
  /** Faults this sandbox implements; others are ignored (and not consumed). */
  applicable: FaultName[];
  /** Faults answered at submit time, besides down/rate_limited/bad_request/garbage (e.g. moderation). */
  alsoAtSubmit?: FaultName[];
  /** Writes the provider's answer for an immediate fault (never called for `garbage`). */
  respond(ctx: Ctx, fault: FaultName): void;
}

const IMMEDIATE_ORDER: FaultName[] = ['down', 'rate_limited', 'bad_request', 'moderation', 'garbage'];

/**
 * The job faults one submit carries. `durationMs` is set by `slow_job` (the job runs that long instead
 * of jobDurationMs); `flaky` never appears itself: the jobs it picks carry `accept_then_fail`.
 */
export class JobFaults extends Set<FaultName> {
  durationMs?: number;
}

/** The plumbing every sandbox shares: HTTP server, auth gate, control endpoints, files, faults, log, clock. */
export class SandboxCore {
  readonly faults: FaultBook;
  readonly log = new RequestLog();
  readonly clock = new JobClock();
  readonly sender: CallbackSender;
  readonly apiKey: string;
  readonly jobDurationMs: number;
  /** Submits the `flaky` fault has seen (it fails an even share of them). */
  private flakySeen = 0;
  routes: Route[] = [];
  authorize: (ctx: Ctx) => boolean = () => false;
  unauthorized: (ctx: Ctx) => void = (ctx) => this.send(ctx, 401, { error: 'unauthorized' });
  notFound: (ctx: Ctx) => void = (ctx) => this.send(ctx, 404, { error: 'not found' });
  /** The provider accounts besides the platform's own (sandboxes whose real provider has per-customer keys). */
  accounts?: AccountBook;
  /** Canvas size of the Lottie served for a job, when the sandbox knows it. */
  lottieSize: (job: string) => { w: number; h: number } | undefined = () => undefined;

  private server?: http.Server;
  private baseUrl = '';

  constructor(
    readonly name: SandboxName,
    readonly options: SandboxOptions,
  ) {
    this.faults = new FaultBook(name);
    this.apiKey = options.apiKey ?? `sandbox-${name}-key`;
    this.jobDurationMs = options.jobDurationMs ?? 300;
    this.sender = new CallbackSender(this.clock, this.log, options.callbackAttempts ?? 3, options.callbackRetryDelayMs ?? 200);
  }

  get url(): string {
    return this.baseUrl;
  }

  fileUrl(job: string, kind: 'mp4' | 'lottie' = 'mp4', faults?: ReadonlySet<FaultName>): string {
    // File faults travel in the URL, so the file server needs no job table of its own.
    const fault = (['bad_output', 'file_flaky'] as const).find((f) => faults?.has(f));
    return `${this.baseUrl}/files/${encodeURIComponent(job)}.${kind === 'mp4' ? 'mp4' : 'lottie.json'}${fault ? `?fault=${fault}` : ''}`;
  }

  /** Downloads of each `file_flaky` file so far (the first two answer 503). */
  private readonly flakyFiles = new Map<string, number>();

  send(ctx: Ctx, status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json'): void {
    const text = JSON.stringify(body);
    ctx.res.writeHead(status, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(text)), ...headers });
    ctx.res.end(text);
  }

  sendRaw(ctx: Ctx, status: number, body: string | Buffer, contentType: string, headers: Record<string, string> = {}): void {
    ctx.res.writeHead(status, { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)), ...headers });
    ctx.res.end(ctx.method === 'HEAD' ? undefined : body);
  }

  /** The `garbage` fault: 200, claims JSON, is not JSON. */
  sendGarbage(ctx: Ctx): void {
    this.sendRaw(ctx, 200, '<!DOCTYPE html><html><body><h1>502 upstream hiccup</h1></body></html>\n{"request_id": "', 'application/json');
  }

  /** Looks the token up in the account book (or the one key); records whose it is on the request. */
  authenticate(ctx: Ctx, token: string | undefined): boolean {
    const account = this.accounts?.byToken(token);
    if (account) {
      ctx.account = account;
      ctx.entry.account = account.name;
      return true;
    }
    return !this.accounts && token !== undefined && token === this.apiKey;
  }

  /** Bearer-token check helper. */
  bearerOk(ctx: Ctx): boolean {
    const h = ctx.header('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(h.trim());
    return !!m && m[1] === this.apiKey;
  }

  /**
   * Applies submit-time faults. Returns null when an immediate fault answered the request, otherwise
   * the set of job faults (moderation-later, accept_then_fail, never_callback, …) the job must carry.
   */
  async submitFaults(ctx: Ctx, modelIds: (string | undefined)[], spec: SubmitFaultSpec): Promise<JobFaults | null> {
    const matched = this.faults.match(ctx.text, modelIds, ['jwks_down']);
    const present = spec.applicable.filter((f) => matched.has(f));
    const applied: FaultName[] = [];
    if (present.includes('slow')) {
      applied.push('slow');
      await this.clock.sleep(matched.delayMs('slow') ?? DEFAULT_SLOW_MS);
    }
    const atSubmit = ['down', 'rate_limited', 'bad_request', 'garbage', ...(spec.alsoAtSubmit ?? [])];
    const immediate = IMMEDIATE_ORDER.find((f) => atSubmit.includes(f) && present.includes(f));
    if (immediate) {
      applied.push(immediate);
      matched.commit(applied);
      ctx.entry.fault = applied.join(',');
      if (immediate === 'garbage') this.sendGarbage(ctx);
      else spec.respond(ctx, immediate);
      return null;
    }
    const jobFaults = present.filter((f) => f !== 'slow' && !atSubmit.includes(f));
    applied.push(...jobFaults);
    matched.commit(applied);
    const out = new JobFaults(jobFaults.filter((f) => f !== 'flaky'));
    if (jobFaults.includes('slow_job')) out.durationMs = matched.delayMs('slow_job') ?? DEFAULT_SLOW_MS;
    const flakyFails = jobFaults.includes('flaky') && this.flakyPicks(matched.percent('flaky') ?? DEFAULT_FLAKY_PERCENT);
    if (flakyFails) out.add('accept_then_fail');
    if (applied.length) ctx.entry.fault = applied.map((f) => (f === 'flaky' && flakyFails ? 'flaky(fails)' : f)).join(',');
    return out;
  }

  /** Whether the next flaky submit fails: exactly `percent`% of them, evenly spread (deterministic, so tests can count). */
  private flakyPicks(percent: number): boolean {
    const n = ++this.flakySeen;
    return Math.floor((n * percent) / 100) > Math.floor(((n - 1) * percent) / 100);
  }

  async listen(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'sandbox internal error', message: String((err as Error)?.message ?? err) }));
        } else res.destroy();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    const advertised = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    this.baseUrl = (this.options.publicUrl ?? `http://${advertised}:${port}`).replace(/\/+$/, '');
  }

  async close(): Promise<void> {
    this.clock.stop();
    this.sender.stop();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** The RunningSandbox surface shared by every sandbox. */
  running(): RunningSandbox {
    return {
      name: this.name,
      url: this.baseUrl,
      apiKey: this.apiKey,
      close: () => this.close(),
      requests: () => this.log.all(),
      setFault: (f: FaultRule) => {
        const v = validateFaultRule(f);
        if (typeof v === 'string') throw new Error(`invalid fault rule: ${v}`);
        this.faults.add(v);
      },
      clearFaults: () => this.faults.clear(),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://sandbox.local');
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    let parsed: { v: unknown } | undefined;
    const ctx: Ctx = {
      req,
      res,
      method,
      url,
      path,
      raw,
      text: raw.toString('utf8'),
      entry: { at: Date.now(), method, path, operation: 'unknown' },
      header: (n) => {
        const v = req.headers[n.toLowerCase()];
        return Array.isArray(v) ? v[0] : v;
      },
      json: () => {
        if (!parsed) {
          try {
            parsed = { v: raw.length ? JSON.parse(ctx.text) : undefined };
          } catch {
            parsed = { v: undefined };
          }
        }
        return parsed.v;
      },
    };

    if (path.startsWith('/__sandbox/')) return this.control(ctx);

    const file = /^\/files\/([A-Za-z0-9._-]+?)\.(mp4|lottie\.json)$/.exec(path);
    if (file && (method === 'GET' || method === 'HEAD')) {
      this.track(ctx, 'file', file[1]);
      const fault = url.searchParams.get('fault');
      if (fault === 'bad_output') {
        ctx.entry.fault = fault;
        return this.sendRaw(ctx, 200, '<!DOCTYPE html><html><body>Not the video you are looking for</body></html>', file[2] === 'mp4' ? MP4_CONTENT_TYPE : LOTTIE_CONTENT_TYPE);
      }
      if (fault === 'file_flaky') {
        const seen = (this.flakyFiles.get(path) ?? 0) + 1;
        this.flakyFiles.set(path, seen);
        if (seen <= 2) {
          ctx.entry.fault = fault;
          return this.send(ctx, 503, { error: 'file server busy' });
        }
      }
      if (file[2] === 'mp4') return this.sendRaw(ctx, 200, SAMPLE_MP4, MP4_CONTENT_TYPE, { 'cache-control': 'no-store' });
      const size = this.lottieSize(file[1]) ?? { w: 512, h: 512 };
      return this.sendRaw(ctx, 200, JSON.stringify(lottieAnimation(size.w, size.h, file[1])), LOTTIE_CONTENT_TYPE);
    }

    for (const route of this.routes) {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (!methods.includes(method)) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      this.track(ctx, route.operation);
      if (route.auth !== false && !this.authorize(ctx)) {
        ctx.entry.fault = 'unauthorized';
        return this.unauthorized(ctx);
      }
      return route.handle(ctx, m);
    }
    this.track(ctx, 'unknown');
    this.notFound(ctx);
  }

  private track(ctx: Ctx, operation: string, jobId?: string): void {
    ctx.entry.operation = operation;
    if (jobId) ctx.entry.jobId = jobId;
    // What the client asked the provider to make, kept so tests can hold the bill against it.
    if (ctx.method === 'POST' && ctx.raw.length) ctx.entry.body = ctx.json();
    this.log.add(ctx.entry);
    ctx.res.on('finish', () => {
      ctx.entry.status = ctx.res.statusCode;
    });
  }

  private control(ctx: Ctx): void {
    const { method, path } = ctx;
    if (path === '/__sandbox/faults' && method === 'POST') {
      const v = validateFaultRule(ctx.json());
      if (typeof v === 'string') return this.send(ctx, 400, { error: v });
      this.faults.add(v);
      return this.send(ctx, 200, { ok: true, faults: this.faults.list() });
    }
    if (path === '/__sandbox/faults' && method === 'DELETE') {
      this.faults.clear();
      return this.send(ctx, 200, { ok: true, faults: [] });
    }
    if (path === '/__sandbox/faults' && method === 'GET') return this.send(ctx, 200, { faults: this.faults.list() });
    if (path === '/__sandbox/requests' && method === 'GET') return this.send(ctx, 200, this.log.all());
    if (path === '/__sandbox/requests' && method === 'DELETE') {
      this.log.clear();
      return this.send(ctx, 200, { ok: true });
    }
    if (path === '/__sandbox/accounts' && method === 'POST') {
      if (!this.accounts) return this.send(ctx, 404, { error: `the ${this.name} sandbox has a single account` });
      const a = this.accounts.add(ctx.json());
      if (typeof a === 'string') return this.send(ctx, 400, { error: a });
      return this.send(ctx, 200, { name: a.name, user_id: a.userId });
    }
    if (path === '/__sandbox/info' && method === 'GET') {
      return this.send(ctx, 200, { name: this.name, url: this.baseUrl, jobDurationMs: this.jobDurationMs });
    }
    this.send(ctx, 404, { error: `unknown control endpoint ${method} ${path}` });
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
