import type { GenerationFinishedEvt } from '@pipevideo/contracts';
import { customerEventFromGeneration, parseGenerationFinished, testEvent } from './event-payloads';

const evt: GenerationFinishedEvt = {
  v: 1, eventId: 'e1', api: 'video', generationId: 'gen_1', orgId: 'org_1', status: 'completed', succeeded: true, model: 'google/veo-3.1',
  provider: 'replicate', holdId: 'gen_1:1', costCents: 240, outputUrl: 'https://cdn/x.mp4', errorMessage: null, finishedAt: '2026-01-02T03:04:05.000Z',
};

describe('customer event payloads', () => {
  it('video API → video.generation.completed with the spec fields and api: video', () => {
    const e = customerEventFromGeneration(evt);
    expect(e.type).toBe('video.generation.completed');
    expect(JSON.parse(e.body)).toEqual({
      type: 'video.generation.completed',
      timestamp: '2026-01-02T03:04:05.000Z',
      data: {
        generationId: 'gen_1', status: 'completed', outputUrl: 'https://cdn/x.mp4', errorMessage: null, model: 'google/veo-3.1', provider: 'replicate',
        costCents: 240, completedAt: Date.parse('2026-01-02T03:04:05.000Z') / 1000, api: 'video',
      },
    });
  });

  it('failures are sent too, with the error message', () => {
    const e = customerEventFromGeneration({ ...evt, status: 'failed', succeeded: false, outputUrl: null, errorMessage: 'Reservation failed', costCents: 0 });
    expect(JSON.parse(e.body).data).toMatchObject({ status: 'failed', outputUrl: null, errorMessage: 'Reservation failed' });
  });

  it('Responses API → the same video.generation.completed: spec fields with the response id, api: responses, and the response object', () => {
    const e = customerEventFromGeneration({ ...evt, api: 'responses', generationId: 'resp_1', model: 'moonshotai/kimi-k2.5', provider: 'framerate', costCents: 12 });
    expect(e.type).toBe('video.generation.completed');
    const body = JSON.parse(e.body);
    expect(body).toMatchObject({ type: 'video.generation.completed', timestamp: '2026-01-02T03:04:05.000Z' });
    expect(body.data).toEqual({
      generationId: 'resp_1', status: 'completed', outputUrl: 'https://cdn/x.mp4', errorMessage: null, model: 'moonshotai/kimi-k2.5',
      provider: 'framerate', costCents: 12, completedAt: Date.parse('2026-01-02T03:04:05.000Z') / 1000, api: 'responses',
      response: expect.objectContaining({ id: 'resp_1', object: 'response', status: 'completed' }),
    });
  });

  it('the response object: spec-002 fields from extra, internal flags dropped, identity and status from the event', () => {
    const e = customerEventFromGeneration({
      ...evt, api: 'responses', status: 'failed', errorMessage: 'Provider returned failure', outputUrl: null,
      extra: { engine: 'lottie', id: 'spoofed', status: 'completed', usage: null, artifact_url: null, keepTokenCharge: true, createdAt: '2026-01-02T03:03:05.000Z' },
    });
    const data = JSON.parse(e.body).data;
    expect(data).toMatchObject({ generationId: 'gen_1', status: 'failed', outputUrl: null, errorMessage: 'Provider returned failure', api: 'responses' });
    expect(data.response).toMatchObject({
      id: 'gen_1', object: 'response', status: 'failed', engine: 'lottie', output_video_url: null, usage: null,
      error: { code: 'generation_failed', message: 'Provider returned failure' },
      created_at: Date.parse('2026-01-02T03:03:05.000Z') / 1000, completed_at: Date.parse('2026-01-02T03:04:05.000Z'), latency_ms: 60_000,
      output: [{ type: 'message', id: 'gen_1_msg', role: 'assistant', status: 'incomplete', content: [] }],
    });
    for (const internal of ['keepTokenCharge', 'createdAt']) {
      expect(data.response).not.toHaveProperty(internal);
      expect(data).not.toHaveProperty(internal);
    }
  });

  it('a completed response carries its video as an output_video part', () => {
    const data = JSON.parse(customerEventFromGeneration({ ...evt, api: 'responses', model: 'moonshotai/kimi-k2.5', provider: 'framerate' }).body).data;
    expect(data.response).toMatchObject({
      status: 'completed', model: 'moonshotai/kimi-k2.5', provider: 'framerate', output_video_url: 'https://cdn/x.mp4', error: null,
      output: [{ status: 'completed', content: [{ type: 'output_video', video_url: { url: 'https://cdn/x.mp4' } }] }],
    });
  });

  it('test events carry the endpoint id', () => {
    const e = testEvent('org_1', 'ep_1', new Date('2026-01-01T00:00:00Z'));
    expect(JSON.parse(e.body)).toEqual({ type: 'webhook.test', timestamp: '2026-01-01T00:00:00.000Z', data: { endpointId: 'ep_1', message: expect.any(String) } });
  });

  it('rejects malformed events instead of guessing', () => {
    expect(() => parseGenerationFinished('{"eventId":"x"}')).toThrow(/lacks orgId/);
    expect(() => parseGenerationFinished(JSON.stringify({ ...evt, api: 'audio' }))).toThrow(/unknown api/);
    expect(() => parseGenerationFinished('not json')).toThrow();
    expect(parseGenerationFinished(JSON.stringify(evt)).generationId).toBe('gen_1');
  });
});
