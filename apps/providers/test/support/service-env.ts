import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENTS, RPC, type CancelJobResult, type ProviderJobFinishedPayload, type ProviderJobUsageEvt, type SubmitJobResult } from '@pipevideo/contracts';
import { createInProcessWiring, createTestDatabase, type TestDatabase } from '@pipevideo/platform';
import {
  startFalSandbox, startFramerateSandbox, startReplicateSandbox, startVercelGatewaySandbox,
  type RunningFalSandbox, type RunningFramerateSandbox, type RunningReplicateSandbox, type RunningVercelGatewaySandbox,
} from '@pipevideo/sandboxes';
import type { ProvidersConfigInput } from '../../src/providers.config';
import { startProvidersService, type RunningProvidersService } from '../../src/service';
import { waitFor } from './receiver';

export interface Sandboxes {
  fal: RunningFalSandbox;
  replicate: RunningReplicateSandbox;
  vercelGateway: RunningVercelGatewaySandbox;
  framerate: RunningFramerateSandbox;
}

export interface Env {
  db: TestDatabase;
  sb: Sandboxes;
  svc: RunningProvidersService;
  finished: ProviderJobFinishedPayload[];
  usage: ProviderJobUsageEvt[];
  submit(msg: Record<string, unknown>): Promise<SubmitJobResult>;
  cancel(generationId: string, attempt: number): Promise<CancelJobResult>;
  finishedFor(generationId: string): ProviderJobFinishedPayload[];
  waitFinished(generationId: string): Promise<ProviderJobFinishedPayload>;
  metrics(): Promise<string>;
  jobRow(generationId: string, attempt?: number): Promise<any>;
  close(): Promise<void>;
}

let seq = 0;
export const genId = (tag: string) => `gen_${tag}_${Date.now().toString(36)}_${seq++}`;

/** A fresh database, the four sandboxes, and the providers service on in-process messaging, observing its events. */
export async function startEnv(config: ProvidersConfigInput = {}): Promise<Env> {
  const db = await createTestDatabase('pv_providers');
  const quick = { jobDurationMs: 150, callbackRetryDelayMs: 20 };
  const sb: Sandboxes = {
    fal: await startFalSandbox(quick),
    replicate: await startReplicateSandbox(quick),
    vercelGateway: await startVercelGatewaySandbox(quick),
    framerate: await startFramerateSandbox({ queueMs: 10, composeMs: 60, renderMs: 60 }),
  };
  const wiring = createInProcessWiring();
  const storageDir = mkdtempSync(join(tmpdir(), 'pv-providers-outputs-'));
  const svc = await startProvidersService({
    messaging: { kind: 'inprocess', wiring },
    databaseUrl: db.url,
    port: 0,
    pollIntervalMs: 40,
    allowPrivateUrls: true,
    keyRefreshMinIntervalMs: 0,
    httpTimeoutMs: 5000,
    storage: { driver: 'disk', dir: storageDir, signingKey: 'providers-test-signing-key', publicUrl: 'http://gateway.test' },
    ...config,
    providers: {
      fal: { baseUrl: sb.fal.url, apiKey: sb.fal.apiKey, jwksUrl: sb.fal.jwksUrl },
      replicate: { baseUrl: `${sb.replicate.url}/v1`, apiKey: sb.replicate.apiKey },
      'vercel-gateway': { baseUrl: `${sb.vercelGateway.url}/v3/ai`, apiKey: sb.vercelGateway.apiKey },
      framerate: { baseUrl: sb.framerate.url, apiKey: sb.framerate.apiKey },
      ...(config.providers ?? {}),
    },
  });
  const finished: ProviderJobFinishedPayload[] = [];
  const usage: ProviderJobUsageEvt[] = [];
  await svc.ctx.messaging.events.subscribe(`test-observer-${db.name}`, [EVENTS.providerJobFinished, EVENTS.providerJobUsageReported], async (subject, payload) => {
    const evt = JSON.parse(payload);
    if (subject === EVENTS.providerJobFinished) finished.push(evt);
    else usage.push(evt);
  });
  const rpc = svc.ctx.messaging.rpc;
  const finishedFor = (g: string) => finished.filter((e) => e.generationId === g);
  return {
    db,
    sb,
    svc,
    finished,
    usage,
    // Tests send hostile messages too (unknown provider, missing fields): the handler, not the compiler, must refuse them.
    submit: (msg) => rpc.request(RPC.providers.jobSubmit, msg as never, { timeoutMs: 15_000 }),
    cancel: (generationId, attempt) => rpc.request(RPC.providers.jobCancel, { generationId, attempt }, { timeoutMs: 15_000 }),
    finishedFor,
    async waitFinished(g) {
      await waitFor(() => finishedFor(g).length > 0, `provider_job.finished for ${g}`);
      return finishedFor(g)[0];
    },
    metrics: async () => (await fetch(`${svc.url}/metrics`)).text(),
    async jobRow(g, attempt = 1) {
      const [row] = await svc.ctx.ds.query(`SELECT * FROM provider_jobs WHERE generation_id = $1 AND attempt = $2`, [g, attempt]);
      return row;
    },
    async close() {
      await svc.close();
      await Promise.all(Object.values(sb).map((s) => s.close()));
      await db.drop();
      rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

/** Value of one metric sample in a /metrics scrape (0 when absent). */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
  }
  return 0;
}
