import { framerateUsageFor, startFramerateSandbox, type RunningFramerateSandbox } from '@pipevideo/sandboxes';
import { failureOf, TEST_DEPS, waitFor } from '../../../test/support/receiver';
import type { JobHandle, JobStatus } from '../provider-adapter';
import { FramerateAdapter } from './framerate.adapter';

describe('Framerate adapter against its sandbox', () => {
  let fr: RunningFramerateSandbox;
  let adapter: FramerateAdapter;

  beforeAll(async () => {
    fr = await startFramerateSandbox({ queueMs: 10, composeMs: 60, renderMs: 60 });
  });
  afterAll(() => fr.close());
  beforeEach(() => {
    fr.clearFaults();
    adapter = new FramerateAdapter({ baseUrl: fr.url, apiKey: fr.apiKey }, TEST_DEPS);
  });

  const params = (input: string, engine = 'hyperframes') => ({ engine, model: 'moonshotai/kimi-k2.5', input, width: 640, height: 360, aspectRatio: '16:9' });
  const submit = (input: string, engine = 'hyperframes') =>
    adapter.submit({ jobRef: 'j', providerModelId: 'framerate', api: 'responses', input: adapter.normalise(params(input, engine), { api: 'responses', providerModelId: 'framerate' }), idempotencyKey: 'g:1' });
  /** Polls to the end, recording every status seen. */
  async function run(handle: JobHandle): Promise<JobStatus[]> {
    const seen: JobStatus[] = [];
    await waitFor(async () => {
      const s = await adapter.poll(handle);
      seen.push(s);
      return s.state === 'final';
    }, 'final');
    return seen;
  }

  it('hyperframes: usage appears once composing ends, then the video', async () => {
    const accepted = await submit('a logo reveal');
    const seen = await run(accepted.handle);
    const usage = { inputTokens: framerateUsageFor('a logo reveal').input_tokens, outputTokens: framerateUsageFor('a logo reveal').output_tokens };
    expect(seen.some((s) => s.state === 'running' && !s.usage)).toBe(true);
    expect(seen[seen.length - 1]).toEqual({ state: 'final', usage, outcome: { outcome: 'succeeded', outputUrl: `${fr.url}/files/${accepted.providerJobId}.mp4`, artifactUrl: null, artifactType: null } });
  });

  it('max_output_tokens reaches Framerate, which records it and never reports more output tokens', async () => {
    const input = adapter.normalise({ ...params('a long logo reveal'), max_output_tokens: 50 }, { api: 'responses', providerModelId: 'framerate' });
    expect(input.max_output_tokens).toBe(50);
    const accepted = await adapter.submit({ jobRef: 'j', providerModelId: 'framerate', api: 'responses', input, idempotencyKey: 'g:cap' });
    const seen = await run(accepted.handle);
    expect(seen[seen.length - 1].usage).toEqual({ inputTokens: framerateUsageFor('a long logo reveal').input_tokens, outputTokens: 50 });
    const job = (await (await fetch(`${fr.url}/v1/jobs/${accepted.providerJobId}`, { headers: { authorization: `Bearer ${fr.apiKey}` } })).json()) as { max_output_tokens: number };
    expect(job.max_output_tokens).toBe(50);
  });

  it('lottie: artifact URL and media type', async () => {
    const seen = await run((await submit('a bouncing ball', 'lottie')).handle);
    expect(seen[seen.length - 1]).toMatchObject({ outcome: { outcome: 'succeeded', artifactUrl: expect.stringMatching(/\.lottie\.json$/), artifactType: 'application/json' } });
  });

  it('incomplete → failed, incomplete flag, message says incomplete, usage kept', async () => {
    const seen = await run((await submit('x [framerate:incomplete]')).handle);
    expect(seen[seen.length - 1]).toMatchObject({
      state: 'final',
      usage: expect.any(Object),
      outcome: { outcome: 'failed', errorKind: 'server_error', incomplete: true, errorMessage: expect.stringMatching(/^incomplete: /) },
    });
  });

  it('moderation → failed/moderation without usage', async () => {
    const seen = await run((await submit('x [framerate:moderation]')).handle);
    const last = seen[seen.length - 1];
    expect(last).toMatchObject({ state: 'final', outcome: { outcome: 'failed', errorKind: 'moderation' } });
    expect(last.usage).toBeUndefined();
  });

  it('cancel while rendering keeps the usage; a finished job is already_finished', async () => {
    const accepted = await submit('stuck [framerate:never_callback]');
    await waitFor(async () => !!(await adapter.poll(accepted.handle)).usage, 'rendering');
    expect(await adapter.cancel(accepted.handle)).toEqual({ result: 'cancelled', usage: expect.objectContaining({ inputTokens: expect.any(Number) }) });
    expect(await adapter.cancel(accepted.handle)).toEqual({ result: 'already_finished' });
  });

  it.each([
    ['down', 'down', true],
    ['rate_limited', 'rate_limited', true],
    ['bad_request', 'input_rejected', true], // the provider refused the input: the next model may take it
    ['garbage', 'garbage', true],
  ])('submit fault %s → %s (retryable %s)', async (fault, kind, retryable) => {
    expect(await failureOf(submit(`x [framerate:${fault}]`))).toMatchObject({ kind, retryable });
  });

  it('refuses an engine it does not render and empty input', () => {
    expect(() => adapter.normalise(params('x', 'auto'), { api: 'responses', providerModelId: 'framerate' })).toThrow(expect.objectContaining({ kind: 'bad_request' }));
    expect(() => adapter.normalise(params(''), { api: 'responses', providerModelId: 'framerate' })).toThrow(expect.objectContaining({ kind: 'bad_request' }));
  });
});
