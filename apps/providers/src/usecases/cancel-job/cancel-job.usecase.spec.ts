import { Registry } from 'prom-client';
import { currentCorrelationId, logger, withCorrelationId } from '@pipevideo/platform';
import type { ProviderAdapter } from '../../adapters/provider-adapter';
import { loadProvidersConfig } from '../../providers.config';
import { AdapterSet } from '../../jobs/adapter-set';
import type { JobFinisher } from '../../jobs/job-finisher';
import type { JobRow, JobStore } from '../../jobs/job-store';
import { ProviderMetrics } from '../../providers.metrics';
import { CancelJobUseCase } from './cancel-job.usecase';

/** Plain fakes: which correlation id the upstream cancel (and its log lines) run under. */
function setup(row: Partial<JobRow>, cancel: () => Promise<{ result: 'cancelled' }>, recordedMeanwhile?: Partial<JobRow>) {
  const seen: Array<string | undefined> = [];
  const handles: unknown[] = [];
  const calls: string[] = [];
  const adapter = {
    slug: 'replicate',
    mode: 'callback',
    api: 'video',
    cancel: async (handle: unknown) => {
      seen.push(currentCorrelationId());
      handles.push(handle);
      return cancel();
    },
  } as unknown as ProviderAdapter;
  const job = { id: 'job-1', provider: 'replicate', status: 'running', handle: { h: 1 }, correlation_id: null, ...row } as JobRow;
  const store = {
    recordCancelledAttempt: async () => void calls.push('tombstone'),
    byAttempt: async () => (calls.push('byAttempt'), job),
    byId: async () => (calls.push('byId'), { ...job, ...recordedMeanwhile }),
  } as unknown as JobStore;
  const finisher = { finish: async () => (calls.push('finish'), 'finished' as const) } as unknown as JobFinisher;
  const uc = new CancelJobUseCase(new AdapterSet(loadProvidersConfig(), new ProviderMetrics(new Registry()), [adapter]), store, finisher);
  return { uc, seen, handles, calls };
}

describe('cancel job', () => {
  afterEach(() => jest.restoreAllMocks());

  it("calls the provider under the job's correlation id, not the canceller's", async () => {
    const { uc, seen } = setup({ correlation_id: 'corr-of-the-generation' }, async () => ({ result: 'cancelled' }));
    const res = await withCorrelationId('corr-of-the-cancel-call', () => uc.execute('gen_1', 1));
    expect(res).toEqual({ cancelled: true, upstream: 'cancelled' });
    expect(seen).toEqual(['corr-of-the-generation']);
  });

  it("logs a failed upstream cancel under the job's correlation id", async () => {
    const logged: Array<string | undefined> = [];
    jest.spyOn(logger, 'warn').mockImplementation((() => logged.push(currentCorrelationId())) as any);
    const { uc } = setup({ correlation_id: 'corr-of-the-generation' }, async () => {
      throw new Error('upstream down');
    });
    const res = await uc.execute('gen_1', 1);
    expect(res).toEqual({ cancelled: true, upstream: 'failed' });
    expect(logged).toEqual(['corr-of-the-generation']);
  });

  it('records the tombstone before it looks for the job (a submit inserting after the look sees it)', async () => {
    const { uc, calls } = setup({}, async () => ({ result: 'cancelled' }));
    await uc.execute('gen_1', 1);
    expect(calls).toEqual(['tombstone', 'byAttempt', 'finish']);
  });

  it('a job read while submitting whose submit recorded its handle before our finish is cancelled upstream with that handle', async () => {
    const { uc, handles, calls } = setup({ status: 'submitting', handle: null }, async () => ({ result: 'cancelled' }), { status: 'cancelled', handle: { recorded: true } });
    expect(await uc.execute('gen_1', 1)).toEqual({ cancelled: true, upstream: 'cancelled' });
    expect(calls).toEqual(['tombstone', 'byAttempt', 'finish', 'byId']);
    expect(handles).toEqual([{ recorded: true }]);
  });

  it("keeps the caller's correlation id for a job stored without one", async () => {
    const { uc, seen } = setup({ correlation_id: null }, async () => ({ result: 'cancelled' }));
    await withCorrelationId('corr-of-the-cancel-call', () => uc.execute('gen_1', 1));
    expect(seen).toEqual(['corr-of-the-cancel-call']);
  });
});
