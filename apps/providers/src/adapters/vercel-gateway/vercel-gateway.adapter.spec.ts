import { GATEWAY_MODERATION_ERROR, startVercelGatewaySandbox, type RunningVercelGatewaySandbox } from '@pipevideo/sandboxes';
import { failureOf, TEST_DEPS, waitFor } from '../../../test/support/receiver';
import type { JobHandle, JobStatus } from '../provider-adapter';
import { VercelGatewayAdapter } from './vercel-gateway.adapter';

const MODEL = 'google/veo-3.1-generate-001';

describe('Vercel AI Gateway adapter against its sandbox', () => {
  let gw: RunningVercelGatewaySandbox;
  let adapter: VercelGatewayAdapter;

  beforeAll(async () => {
    gw = await startVercelGatewaySandbox({ jobDurationMs: 400 }); // long enough that the first poll sees it pending on a busy machine
  });
  afterAll(() => gw.close());
  beforeEach(() => {
    gw.clearFaults();
    adapter = new VercelGatewayAdapter({ baseUrl: `${gw.url}/v3/ai`, apiKey: gw.apiKey }, TEST_DEPS);
  });

  const submit = (prompt: string, key = `g-${Math.random()}:1`) =>
    adapter.submit({
      jobRef: 'j',
      providerModelId: MODEL,
      api: 'video',
      input: adapter.normalise({ prompt, duration: 6, aspectRatio: '16:9', resolution: '720p' }, { api: 'video', providerModelId: MODEL }),
      idempotencyKey: key,
    });
  async function final(handle: JobHandle): Promise<JobStatus> {
    let s: JobStatus = { state: 'running' };
    await waitFor(async () => (s = await adapter.poll(handle)).state === 'final', 'final');
    return s;
  }

  it('start → pending → completed with a video URL', async () => {
    const accepted = await submit('a cat');
    expect(accepted.providerJobId).toMatch(/^job_/);
    expect(accepted.handle).toEqual({ modelId: MODEL, operation: { gatewayJobId: accepted.providerJobId } });
    // Pending, with the progress the gateway's async job status gives (queued or running).
    expect(await adapter.poll(accepted.handle)).toEqual({ state: 'running', progress: { percent: expect.any(Number), queuePosition: null, phase: expect.stringMatching(/^(queued|processing)$/) } });
    expect(await final(accepted.handle)).toEqual({ state: 'final', outcome: { outcome: 'succeeded', outputUrl: `${gw.url}/files/${accepted.providerJobId}.mp4` } });
    expect(gw.requests().find((r) => r.operation === 'submit')).toMatchObject({ path: '/v3/ai/video-model/start', modelId: MODEL });
  });

  it('the idempotency-key makes a retried start return the same job', async () => {
    const a = await submit('same', 'gen_1:1');
    const b = await submit('same', 'gen_1:1');
    expect(b.providerJobId).toBe(a.providerJobId);
  });

  it('moderation → failed/moderation; accept_then_fail → failed/server_error', async () => {
    expect(await final((await submit('x [vercel-gateway:moderation]')).handle)).toMatchObject({
      state: 'final',
      outcome: { outcome: 'failed', errorKind: 'moderation', errorMessage: GATEWAY_MODERATION_ERROR },
    });
    expect(await final((await submit('x [vercel-gateway:accept_then_fail]')).handle)).toMatchObject({ outcome: { outcome: 'failed', errorKind: 'server_error' } });
  });

  it.each([
    ['down', 'down', true],
    ['rate_limited', 'rate_limited', true],
    ['bad_request', 'input_rejected', true], // the provider refused the input: the next model may take it
    ['garbage', 'garbage', true],
  ])('submit fault %s → %s (retryable %s)', async (fault, kind, retryable) => {
    expect(await failureOf(submit(`x [vercel-gateway:${fault}]`))).toMatchObject({ kind, retryable });
  });

  it('an unknown model is a catalog problem (server_error, retryable); cancel is unsupported', async () => {
    const e = await failureOf(
      adapter.submit({ jobRef: 'j', providerModelId: 'nomodel', api: 'video', input: { prompt: 'x', n: 1 }, idempotencyKey: 'k' }),
    );
    expect(e).toMatchObject({ kind: 'server_error', retryable: true });
    expect(await adapter.cancel()).toEqual({ result: 'unsupported' });
  });
});
