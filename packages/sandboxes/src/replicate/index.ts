import { createHmac, randomBytes } from 'node:crypto';
import { base32Id, hexId, sha256Hex } from '../common/ids';
import { AccountBook, PLATFORM_ACCOUNT, type SandboxAccount } from '../common/accounts';
import { SandboxCore, type Ctx } from '../common/server';
import type { FaultName, ReplicateSandboxOptions, RunningReplicateSandbox } from '../types';

/**
 * Replicate predictions API sandbox (https://api.replicate.com/v1): create / get / cancel predictions,
 * Cancel-After deadlines, Standard-Webhooks-signed webhooks. See README.md.
 */

type PredStatus = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';
const TERMINAL: PredStatus[] = ['succeeded', 'failed', 'canceled', 'aborted'];

interface Prediction {
  id: string;
  model: string;
  version: string;
  status: PredStatus;
  input: Record<string, unknown>;
  output: string | null;
  error: string | null;
  logs: string;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  webhook?: string;
  events: string[];
  faults: Set<FaultName>;
  /** The account that created it: only its token sees it, and its webhook secret signs the callbacks. */
  account: SandboxAccount;
  startedMs?: number;
  completedMs?: number;
}

const APPLICABLE: FaultName[] = [
  'bad_output',
  'file_flaky',
  'down',
  'rate_limited',
  'bad_request',
  'garbage',
  'slow',
  'moderation',
  'accept_then_fail',
  'never_callback',
  'bad_signature',
  'duplicate_callback',
  'slow_job',
  'flaky',
];

export const REPLICATE_MODERATION_ERROR = 'The input or output was flagged as sensitive. Please try again with different inputs. (E005)';
export const REPLICATE_FAILURE_ERROR = 'Prediction interrupted; please retry (code: PA)';

/** Parses a Cancel-After value: Go-style durations (`500ms`, `45s`, `10m`, `1h30m`) or bare seconds. */
export function parseCancelAfter(v: string | undefined): number | undefined {
  if (!v) return undefined;
  const s = v.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    const n = Number(m[1]);
    total += m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n * 3_600_000;
    consumed += m[0].length;
  }
  return consumed === s.length && consumed > 0 ? total : undefined;
}

/** Standard Webhooks signature header value for one message. */
export function standardWebhookSignature(secret: string, id: string, timestamp: string, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export async function startReplicateSandbox(o: ReplicateSandboxOptions = {}): Promise<RunningReplicateSandbox> {
  const core = new SandboxCore('replicate', o);
  const webhookSecret = o.webhookSecret ?? `whsec_${randomBytes(32).toString('base64')}`;
  const wrongSecret = `whsec_${randomBytes(32).toString('base64')}`;
  core.accounts = new AccountBook({ name: PLATFORM_ACCOUNT, key: core.apiKey, userId: PLATFORM_ACCOUNT, webhookSecret });
  const preds = new Map<string, Prediction>();
  const D = core.jobDurationMs;

  const problem = (ctx: Ctx, status: number, title: string, detail: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    core.send(ctx, status, { title, detail, status, ...extra }, headers, 'application/problem+json');

  const validationError = (ctx: Ctx, field: string, description: string) =>
    problem(ctx, 422, 'Input validation failed', `- ${field}: ${description}`, {
      invalid_fields: [{ type: 'required', field, description }],
    });

  const respond = (ctx: Ctx, fault: FaultName): void => {
    if (fault === 'down') return problem(ctx, 503, 'Service Unavailable', 'Replicate is temporarily unavailable. Please try again later.');
    if (fault === 'rate_limited') {
      return problem(ctx, 429, 'Request was throttled.', 'Request was throttled. Expected available in 1 second.', {}, { 'retry-after': '1' });
    }
    validationError(ctx, 'input', 'prompt is required');
  };

  const view = (p: Prediction) => ({
    id: p.id,
    model: p.model,
    version: p.version,
    input: p.input,
    logs: p.logs,
    output: p.output,
    data_removed: false,
    error: p.error,
    source: 'api',
    status: p.status,
    created_at: p.created_at,
    started_at: p.started_at,
    completed_at: p.completed_at,
    metrics:
      p.status === 'succeeded' && p.startedMs && p.completedMs
        ? { predict_time: (p.completedMs - p.startedMs) / 1000, total_time: (p.completedMs - Date.parse(p.created_at)) / 1000 }
        : {},
    urls: {
      get: `${core.url}/v1/predictions/${p.id}`,
      cancel: `${core.url}/v1/predictions/${p.id}/cancel`,
      stream: `${core.url}/v1/predictions/${p.id}/stream`,
    },
  });

  const sendWebhook = async (p: Prediction, event: 'start' | 'completed'): Promise<void> => {
    if (!p.webhook || !p.events.includes(event)) return;
    if (event === 'completed' && p.faults.has('never_callback')) return;
    const body = JSON.stringify(view(p));
    const msgId = `msg_${hexId(12)}`;
    const secret = p.faults.has('bad_signature') ? wrongSecret : p.account.webhookSecret;
    const faultTag = ['bad_signature', 'duplicate_callback'].filter((f) => p.faults.has(f as FaultName)).join(',') || undefined;
    const delivery = {
      url: p.webhook,
      body,
      jobId: p.id,
      modelId: p.model,
      fault: faultTag,
      headers: () => {
        const ts = String(Math.floor(Date.now() / 1000));
        return { 'webhook-id': msgId, 'webhook-timestamp': ts, 'webhook-signature': standardWebhookSignature(secret, msgId, ts, body) };
      },
    };
    await core.sender.deliver(delivery);
    if (event === 'completed' && p.faults.has('duplicate_callback')) await core.sender.deliver(delivery);
  };

  const finish = (p: Prediction, status: PredStatus, fields: Partial<Prediction> = {}): void => {
    if (TERMINAL.includes(p.status)) return;
    Object.assign(p, fields);
    p.status = status;
    p.completedMs = Date.now();
    p.completed_at = new Date(p.completedMs).toISOString();
    void sendWebhook(p, 'completed');
  };

  const create = async (ctx: Ctx, model: string | undefined, versionFromBody: boolean): Promise<void> => {
    if (model) ctx.entry.modelId = model;
    const body = ctx.json();
    let version = '';
    if (versionFromBody && body && typeof body === 'object') {
      const v = (body as Record<string, unknown>).version;
      if (typeof v === 'string' && v) {
        // `owner/name:version`, `owner/name`, or a bare version id
        const [left, right] = v.includes(':') ? v.split(':', 2) : [v, undefined];
        if (left.includes('/')) {
          model = left;
          version = right ?? sha256Hex(left);
        } else {
          version = left;
          model = `sandbox/model-${left.slice(0, 8)}`;
        }
        ctx.entry.modelId = model;
      }
    }
    const faults = await core.submitFaults(ctx, [model, version], { applicable: APPLICABLE, respond });
    if (!faults) return;
    if (!body || typeof body !== 'object' || Array.isArray(body)) return validationError(ctx, 'input', 'request body must be a JSON object');
    const b = body as Record<string, unknown>;
    if (versionFromBody && !version) return validationError(ctx, 'version', 'version is required');
    if (!b.input || typeof b.input !== 'object' || Array.isArray(b.input)) return validationError(ctx, 'input', 'input is required');
    const input = b.input as Record<string, unknown>;
    if (typeof input.prompt !== 'string' || !input.prompt.trim()) return validationError(ctx, 'input.prompt', 'prompt is required');
    if (b.webhook !== undefined && (typeof b.webhook !== 'string' || !/^https?:\/\/\S+$/i.test(b.webhook))) {
      return validationError(ctx, 'webhook', 'webhook must be an absolute http(s) URL');
    }
    const allowed = ['start', 'output', 'logs', 'completed'];
    let events = allowed;
    if (b.webhook_events_filter !== undefined) {
      if (!Array.isArray(b.webhook_events_filter) || b.webhook_events_filter.some((e) => !allowed.includes(e as string))) {
        return validationError(ctx, 'webhook_events_filter', `each event must be one of ${allowed.join(', ')}`);
      }
      events = b.webhook_events_filter as string[];
    }
    const cancelAfterHeader = ctx.header('cancel-after');
    const cancelAfterMs = parseCancelAfter(cancelAfterHeader);
    if (cancelAfterHeader && cancelAfterMs === undefined) {
      return problem(ctx, 400, 'Invalid Cancel-After header', `Could not parse duration ${JSON.stringify(cancelAfterHeader)}`);
    }

    const p: Prediction = {
      id: base32Id(),
      model: model ?? 'unknown/unknown',
      version: version || sha256Hex(model ?? 'unknown'),
      status: 'starting',
      input,
      output: null,
      error: null,
      logs: '',
      created_at: new Date().toISOString(),
      started_at: null,
      completed_at: null,
      webhook: b.webhook as string | undefined,
      events,
      faults,
      account: ctx.account!,
    };
    preds.set(p.id, p);
    ctx.entry.jobId = p.id;

    const jobMs = faults.durationMs ?? D;
    core.clock.after(Math.floor(jobMs / 3), () => {
      if (p.status !== 'starting') return;
      p.status = 'processing';
      p.started_at = new Date().toISOString();
      p.startedMs = Date.now();
      p.logs = 'Generating video...\n';
    });
    // Half way, the model's progress bar (Replicate's video models log tqdm bars) — what the adapter reads as progress.
    core.clock.after(Math.floor((2 * jobMs) / 3), () => {
      if (p.status === 'processing') p.logs += ' 50%|█████     | 25/50 [00:02<00:02,  9.8it/s]\n';
    });
    core.clock.after(jobMs, () => {
      if (p.faults.has('moderation')) return finish(p, 'failed', { error: REPLICATE_MODERATION_ERROR });
      if (p.faults.has('accept_then_fail')) return finish(p, 'failed', { error: REPLICATE_FAILURE_ERROR, logs: p.logs + 'Worker lost\n' });
      finish(p, 'succeeded', { output: core.fileUrl(p.id, 'mp4', p.faults), logs: p.logs + 'Done.\n' });
    });
    if (cancelAfterMs !== undefined) {
      core.clock.after(cancelAfterMs, () => {
        if (p.status === 'starting') finish(p, 'aborted');
        else if (p.status === 'processing') finish(p, 'canceled');
      });
    }

    core.send(ctx, 201, view(p), { location: `${core.url}/v1/predictions/${p.id}` });
    void sendWebhook(p, 'start');
  };

  core.authorize = (ctx) => core.authenticate(ctx, /^Bearer\s+(.+)$/i.exec((ctx.header('authorization') ?? '').trim())?.[1]);
  core.unauthorized = (ctx) => problem(ctx, 401, 'Unauthenticated', 'You did not pass a valid authentication token');
  core.notFound = (ctx) => problem(ctx, 404, 'Not found', 'The requested resource does not exist.');

  const getPred = (ctx: Ctx, id: string): Prediction | undefined => {
    const found = preds.get(id);
    // Another account's prediction does not exist for this token (as on Replicate).
    const p = found && found.account === ctx.account ? found : undefined;
    if (p) {
      ctx.entry.jobId = p.id;
      ctx.entry.modelId = p.model;
    }
    return p;
  };

  core.routes = [
    {
      method: 'POST',
      pattern: /^\/v1\/models\/([^/]+)\/([^/]+)\/predictions$/,
      operation: 'submit',
      handle: (ctx, m) => create(ctx, `${decodeURIComponent(m[1])}/${decodeURIComponent(m[2])}`, false),
    },
    { method: 'POST', pattern: /^\/v1\/predictions$/, operation: 'submit', handle: (ctx) => create(ctx, undefined, true) },
    {
      method: 'GET',
      pattern: /^\/v1\/predictions\/([^/]+)$/,
      operation: 'status',
      handle: (ctx, m) => {
        const p = getPred(ctx, m[1]);
        if (!p) return problem(ctx, 404, 'Not found', 'Prediction not found.');
        core.send(ctx, 200, view(p));
      },
    },
    {
      method: 'POST',
      pattern: /^\/v1\/predictions\/([^/]+)\/cancel$/,
      operation: 'cancel',
      handle: (ctx, m) => {
        const p = getPred(ctx, m[1]);
        if (!p) return problem(ctx, 404, 'Not found', 'Prediction not found.');
        finish(p, 'canceled');
        core.send(ctx, 200, view(p));
      },
    },
    {
      method: 'GET',
      pattern: /^\/v1\/webhooks\/default\/secret$/,
      operation: 'secret',
      handle: (ctx) => core.send(ctx, 200, { key: ctx.account!.webhookSecret }),
    },
    {
      // The cheapest authenticated call Replicate has: who owns this token.
      method: 'GET',
      pattern: /^\/v1\/account$/,
      operation: 'account',
      handle: (ctx) => core.send(ctx, 200, { type: 'organization', username: ctx.account!.name, name: ctx.account!.name, github_url: null }),
    },
  ];

  await core.listen();
  return { ...core.running(), name: 'replicate', webhookSecret };
}
