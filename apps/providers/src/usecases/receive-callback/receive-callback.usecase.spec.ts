import { Registry } from 'prom-client';
import type { CallbackVerdict, JobOutcome, JobStatus, ProviderAdapter } from '../../adapters/provider-adapter';
import { ProviderError } from '../../adapters/provider-error';
import { loadProvidersConfig } from '../../providers.config';
import { AdapterSet } from '../../jobs/adapter-set';
import type { FinishOptions, JobFinisher } from '../../jobs/job-finisher';
import type { JobRow, JobStore } from '../../jobs/job-store';
import { ProviderMetrics } from '../../providers.metrics';
import { ReceiveCallbackUseCase } from './receive-callback.usecase';

/** Plain fakes: the use case's decisions without HTTP or a database. */
function setup(verdict: CallbackVerdict, row: Partial<JobRow> | null, poll?: () => Promise<JobStatus>) {
  const adapter = {
    slug: 'fal',
    mode: 'callback',
    api: 'video',
    verifyAndParseCallback: async () => verdict,
    poll: poll ?? (async () => ({ state: 'running' })),
  } as unknown as ProviderAdapter;
  const registry = new Registry();
  const metrics = new ProviderMetrics(registry);
  const finished: Array<{ jobId: string; o: JobOutcome; opts?: FinishOptions }> = [];
  const store = { byId: async () => (row ? ({ id: 'job-1', provider: 'fal', status: 'running', provider_job_id: 'req-1', handle: { h: 1 }, correlation_id: null, ...row } as JobRow) : null) } as unknown as JobStore;
  const finisher = {
    finish: async (jobId: string, o: JobOutcome, opts?: FinishOptions) => {
      finished.push({ jobId, o, opts });
      return 'finished' as const;
    },
  } as unknown as JobFinisher;
  const uc = new ReceiveCallbackUseCase(new AdapterSet(loadProvidersConfig(), metrics, [adapter]), store, finisher, metrics);
  const run = () => uc.execute('fal', 'job-1', {}, Buffer.from('{}'));
  const counted = async (result: string) => (await registry.getSingleMetric('pipevideo_provider_callbacks_total')!.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
  return { run, finished, counted };
}

const ok = (status: JobStatus, needsResultFetch = false): CallbackVerdict => ({ ok: true, callback: { deliveryId: 'req-1', providerJobId: 'req-1', status, needsResultFetch } });
const doneOutcome: JobOutcome = { outcome: 'succeeded', outputUrl: 'https://x/v.mp4' };
const done: JobStatus = { state: 'final', outcome: doneOutcome };

describe('receive callback', () => {
  it.each([
    ['bad_signature', 401],
    ['expired', 401],
    ['keys_unavailable', 503],
    ['malformed', 400],
  ] as const)('refusal %s → HTTP %s, counted, nothing finished', async (reason, status) => {
    const t = setup({ ok: false, reason, message: 'm' }, {});
    expect((await t.run()).status).toBe(status);
    expect(await t.counted(reason)).toBe(1);
    expect(t.finished).toHaveLength(0);
  });

  it('verified final callback → finish once with the delivery id as idempotency key', async () => {
    const t = setup(ok(done), {});
    expect(await t.run()).toEqual({ status: 200, body: { ok: true } });
    expect(t.finished).toEqual([{ jobId: 'job-1', o: doneOutcome, opts: { providerJobId: 'req-1', delivery: { provider: 'fal', id: 'req-1' }, usage: undefined } }]);
    expect(await t.counted('verified')).toBe(1);
  });

  it('job already final → 200 duplicate; unknown job or other provider job id → 404', async () => {
    const dup = setup(ok(done), { status: 'succeeded' });
    expect(await dup.run()).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    expect(await dup.counted('duplicate')).toBe(1);
    expect((await setup(ok(done), null).run()).status).toBe(404);
    expect((await setup(ok(done), { provider_job_id: 'other' }).run()).status).toBe(404);
  });

  it('"done" without payload: the result is fetched; unreadable → 503 so the provider retries', async () => {
    const fetched = setup(ok({ state: 'running' }, true), {}, async () => done);
    expect((await fetched.run()).status).toBe(200);
    expect(fetched.finished).toHaveLength(1);
    const failing = setup(ok({ state: 'running' }, true), {}, async () => Promise.reject(new ProviderError('down' as never, 'x')));
    expect((await failing.run()).status).toBe(503);
    expect(await failing.counted('retry_later')).toBe(1);
    expect(failing.finished).toHaveLength(0);
  });

  it('a non-final status is acknowledged and ignored', async () => {
    const t = setup(ok({ state: 'running' }), {});
    expect(await t.run()).toEqual({ status: 200, body: { ok: true, final: false } });
    expect(t.finished).toHaveLength(0);
  });
});
