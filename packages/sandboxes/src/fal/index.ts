import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { uuid, sha256Hex, stableInt } from '../common/ids';
import { MP4_CONTENT_TYPE, SAMPLE_MP4 } from '../common/media';
import { AccountBook, PLATFORM_ACCOUNT, type SandboxAccount } from '../common/accounts';
import { SandboxCore, type Ctx } from '../common/server';
import type { FalSandboxOptions, FaultName, RunningFalSandbox } from '../types';

/**
 * fal queue API sandbox (https://queue.fal.run): submit / status / result / cancel, ED25519-signed webhooks
 * and the JWKS that verifies them. See README.md for the wire details.
 */

type FalState = 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED';

interface FalJob {
  id: string;
  gatewayId: string;
  modelId: string;
  appId: string;
  input: Record<string, unknown>;
  webhook?: string;
  faults: Set<FaultName>;
  /** The account that submitted it: only its key sees it, and callbacks are signed for its user id. */
  account: SandboxAccount;
  state: FalState;
  createdAt: number;
  startedAt?: number;
  completedAt?: number;
  /** Set when COMPLETED. */
  outcome?: { ok: true; payload: Record<string, unknown> } | { ok: false; httpStatus: number; payload: Record<string, unknown>; cancelled?: boolean };
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
  'jwks_down',
  'slow_job',
  'flaky',
];

/** The message fal signs: four UTF-8 lines. Exported so tests/adapters can rebuild it. */
export function falSignedMessage(requestId: string, userId: string, timestamp: string, rawBody: string | Buffer): Buffer {
  return Buffer.from([requestId, userId, timestamp, sha256Hex(rawBody)].join('\n'), 'utf8');
}

export async function startFalSandbox(o: FalSandboxOptions = {}): Promise<RunningFalSandbox> {
  const core = new SandboxCore('fal', o);
  const userId = o.userId ?? 'sandbox-fal-user';
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const wrongKey: KeyObject = generateKeyPairSync('ed25519').privateKey;
  const jwk = publicKey.export({ format: 'jwk' }) as { kty: string; crv: string; x: string };
  const kid = sha256Hex(jwk.x).slice(0, 16);
  const jobs = new Map<string, FalJob>();
  core.accounts = new AccountBook({ name: PLATFORM_ACCOUNT, key: core.apiKey, userId, webhookSecret: '' });
  /** Jobs submitted with a jwks_down marker whose callbacks are not finished yet: JWKS is down meanwhile. */
  const jwksDownJobs = new Set<string>();
  const D = core.jobDurationMs;

  const urls = (job: FalJob) => {
    const base = `${core.url}/${job.appId}/requests/${job.id}`;
    return { response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
  };

  const validation = (loc: (string | number)[], msg: string, type: string, input?: unknown) => ({
    detail: [{ loc, msg, type, ...(input !== undefined ? { input } : {}) }],
  });

  const respond = (ctx: Ctx, fault: FaultName): void => {
    if (fault === 'down') return core.send(ctx, 503, { detail: 'Service Unavailable' });
    if (fault === 'rate_limited') return core.send(ctx, 429, { detail: 'Rate limit exceeded, please retry later.' }, { 'retry-after': '1' });
    core.send(ctx, 422, validation(['body', 'prompt'], 'Field required', 'missing'));
  };

  const findJob = (ctx: Ctx, prefix: string, id: string): FalJob | undefined => {
    const job = jobs.get(id);
    // Another account's request does not exist for this key (as on fal).
    if (!job || job.account !== ctx.account || (prefix !== job.appId && prefix !== job.modelId)) return undefined;
    ctx.entry.jobId = job.id;
    ctx.entry.modelId = job.modelId;
    return job;
  };

  const deliverCallback = async (job: FalJob): Promise<void> => {
    try {
      if (!job.webhook || job.faults.has('never_callback') || !job.outcome) return;
      const o = job.outcome;
      const body = JSON.stringify({
        request_id: job.id,
        gateway_request_id: job.gatewayId,
        status: o.ok ? 'OK' : 'ERROR',
        payload: o.payload,
        ...(o.ok ? {} : { error: `Invalid status code: ${o.httpStatus}` }),
      });
      const key = job.faults.has('bad_signature') ? wrongKey : privateKey;
      const faultTag = ['bad_signature', 'duplicate_callback', 'jwks_down'].filter((f) => job.faults.has(f as FaultName)).join(',') || undefined;
      const delivery = {
        url: job.webhook,
        body,
        jobId: job.id,
        modelId: job.modelId,
        fault: faultTag,
        headers: () => {
          const ts = String(Math.floor(Date.now() / 1000));
          const sig = sign(null, falSignedMessage(job.id, job.account.userId, ts, body), key).toString('hex');
          return {
            'x-fal-webhook-request-id': job.id,
            'x-fal-webhook-user-id': job.account.userId,
            'x-fal-webhook-timestamp': ts,
            'x-fal-webhook-signature': sig,
          };
        },
      };
      await core.sender.deliver(delivery);
      if (job.faults.has('duplicate_callback')) await core.sender.deliver(delivery);
    } finally {
      jwksDownJobs.delete(job.id);
    }
  };

  const complete = (job: FalJob): void => {
    if (job.state === 'COMPLETED') return;
    job.state = 'COMPLETED';
    job.completedAt = Date.now();
    if (job.faults.has('moderation')) {
      const prompt = typeof job.input.prompt === 'string' ? job.input.prompt : '';
      job.outcome = {
        ok: false,
        httpStatus: 422,
        payload: {
          detail: [
            {
              loc: ['body', 'prompt'],
              msg: 'The content was flagged by a content checker.',
              type: 'content_policy_violation',
              url: 'https://docs.fal.ai/errors#content_policy_violation',
              input: prompt,
              categories: ['violence'],
            },
          ],
        },
      };
    } else if (job.faults.has('accept_then_fail')) {
      job.outcome = { ok: false, httpStatus: 500, payload: { detail: 'Internal server error while running the model.' } };
    } else {
      job.outcome = {
        ok: true,
        payload: {
          video: { url: core.fileUrl(job.id, 'mp4', job.faults), content_type: MP4_CONTENT_TYPE, file_name: `${job.id}.mp4`, file_size: SAMPLE_MP4.length },
          seed: typeof job.input.seed === 'number' ? job.input.seed : stableInt(job.id),
        },
      };
    }
    void deliverCallback(job);
  };

  core.authorize = (ctx) => {
    return core.authenticate(ctx, /^Key\s+(.+)$/i.exec((ctx.header('authorization') ?? '').trim())?.[1]);
  };
  core.unauthorized = (ctx) =>
    core.send(ctx, 401, {
      detail: ctx.header('authorization') ? 'No user found for Key ID and Secret' : 'Missing authorization header',
    });
  core.notFound = (ctx) => core.send(ctx, 404, { detail: 'Not Found' });

  core.routes = [
    {
      // fal's Platform API (api.fal.ai in production): the account's credit balance, the cheapest
      // authenticated call (a key without billing read access answers 403, an unknown key 401).
      method: 'GET',
      pattern: /^\/v1\/account\/billing$/,
      operation: 'account',
      handle: (ctx) =>
        core.send(ctx, 200, {
          username: ctx.account!.userId,
          ...(ctx.url.searchParams.getAll('expand').includes('credits') ? { credits: { current_balance: 100, currency: 'USD' } } : {}),
        }),
    },
    {
      method: ['GET', 'HEAD'],
      pattern: /^\/\.well-known\/jwks\.json$/,
      operation: 'jwks',
      auth: false,
      handle: (ctx) => {
        const rule = core.faults.take('jwks_down');
        if (rule || jwksDownJobs.size > 0) {
          ctx.entry.fault = 'jwks_down';
          return core.send(ctx, 503, { detail: 'Service Unavailable' });
        }
        core.send(ctx, 200, { keys: [{ kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid, use: 'sig', alg: 'EdDSA' }] }, { 'cache-control': 'public, max-age=86400' });
      },
    },
    {
      method: 'GET',
      pattern: /^\/(.+)\/requests\/([^/]+)\/status$/,
      operation: 'status',
      handle: (ctx, m) => {
        const job = findJob(ctx, m[1], m[2]);
        if (!job) return core.send(ctx, 404, { detail: `Request ${m[2]} not found` });
        const withLogs = ['1', 'true'].includes(ctx.url.searchParams.get('logs') ?? '');
        const logs = [{ message: 'Request received', level: 'INFO', source: 'user', timestamp: new Date(job.createdAt).toISOString() }];
        if (job.startedAt) logs.push({ message: 'Generating video', level: 'INFO', source: 'user', timestamp: new Date(job.startedAt).toISOString() });
        core.send(ctx, 200, {
          status: job.state,
          request_id: job.id,
          ...urls(job),
          // As fal's queue says it: how many requests of the same app are ahead of this one.
          ...(job.state === 'IN_QUEUE' ? { queue_position: [...jobs.values()].filter((o) => o.state === 'IN_QUEUE' && o.appId === job.appId && o.createdAt < job.createdAt).length } : {}),
          ...(job.state === 'COMPLETED' && job.completedAt && job.startedAt ? { metrics: { inference_time: (job.completedAt - job.startedAt) / 1000 } } : {}),
          ...(withLogs ? { logs } : {}),
        });
      },
    },
    {
      method: 'PUT',
      pattern: /^\/(.+)\/requests\/([^/]+)\/cancel$/,
      operation: 'cancel',
      handle: (ctx, m) => {
        const job = findJob(ctx, m[1], m[2]);
        if (!job) return core.send(ctx, 404, { status: 'NOT_FOUND' });
        if (job.state === 'COMPLETED') return core.send(ctx, 400, { status: 'ALREADY_COMPLETED' });
        job.state = 'COMPLETED';
        job.completedAt = Date.now();
        job.outcome = { ok: false, httpStatus: 400, payload: { detail: 'Request was cancelled' }, cancelled: true };
        jwksDownJobs.delete(job.id);
        core.send(ctx, 202, { status: 'CANCELLATION_REQUESTED' });
      },
    },
    {
      method: 'GET',
      pattern: /^\/(.+)\/requests\/([^/]+)$/,
      operation: 'result',
      handle: (ctx, m) => {
        const job = findJob(ctx, m[1], m[2]);
        if (!job) return core.send(ctx, 404, { detail: `Request ${m[2]} not found` });
        if (job.state !== 'COMPLETED' || !job.outcome) return core.send(ctx, 400, { detail: 'Request is still in progress' });
        if (job.outcome.ok) return core.send(ctx, 200, job.outcome.payload, { 'x-fal-request-id': job.id });
        core.send(ctx, job.outcome.httpStatus, job.outcome.payload, { 'x-fal-request-id': job.id });
      },
    },
    {
      method: 'POST',
      pattern: /^\/([^/]+\/[^/]+(?:\/[^/]+)*)$/,
      operation: 'submit',
      handle: async (ctx, m) => {
        const modelId = m[1];
        ctx.entry.modelId = modelId;
        const faults = await core.submitFaults(ctx, [modelId], { applicable: APPLICABLE, respond });
        if (!faults) return;
        const body = ctx.json();
        if (!body || typeof body !== 'object' || Array.isArray(body)) {
          return core.send(ctx, 422, validation(['body'], 'Input should be a valid dictionary', 'dict_type'));
        }
        const input = body as Record<string, unknown>;
        if (typeof input.prompt !== 'string' || !input.prompt.trim()) {
          return core.send(ctx, 422, validation(['body', 'prompt'], 'Field required', 'missing', input));
        }
        const webhook = ctx.url.searchParams.get('fal_webhook') ?? undefined;
        if (webhook !== undefined && !/^https?:\/\/[^\s]+$/i.test(webhook)) {
          return core.send(ctx, 400, { detail: 'fal_webhook must be an absolute http(s) URL' });
        }
        const id = uuid();
        const segs = modelId.split('/');
        const job: FalJob = {
          id,
          gatewayId: id,
          modelId,
          appId: `${segs[0]}/${segs[1]}`,
          input,
          webhook,
          faults,
          account: ctx.account!,
          state: 'IN_QUEUE',
          createdAt: Date.now(),
        };
        jobs.set(id, job);
        ctx.entry.jobId = id;
        if (faults.has('jwks_down')) jwksDownJobs.add(id);
        const jobMs = faults.durationMs ?? D;
        core.clock.after(Math.floor(jobMs / 3), () => {
          if (job.state !== 'IN_QUEUE') return;
          job.state = 'IN_PROGRESS';
          job.startedAt = Date.now();
        });
        core.clock.after(jobMs, () => complete(job));
        core.send(ctx, 200, { status: 'IN_QUEUE', request_id: id, gateway_request_id: job.gatewayId, ...urls(job), queue_position: 0 });
      },
    },
  ];

  await core.listen();
  return { ...core.running(), name: 'fal', jwksUrl: `${core.url}/.well-known/jwks.json`, userId };
}
