import type { GenerationFinishedEvt } from '@pipevideo/contracts';
import { customerEventFromGeneration, parseGenerationFinished, testEvent } from './event-payloads';

const evt: GenerationFinishedEvt = {
  v: 1, eventId: 'e1', api: 'video', generationId: 'gen_1', orgId: 'org_1', status: 'completed', succeeded: true, model: 'google/veo-3.1',
  provider: 'replicate', holdId: 'gen_1:1', costCents: 240, outputUrl: 'https://cdn/x.mp4', errorMessage: null, finishedAt: '2026-01-02T03:04:05.000Z',
};

describe('customer event payloads', () => {
  it('video API → video.generation.completed with the spec fields', () => {
    const e = customerEventFromGeneration(evt);
    expect(e.type).toBe('video.generation.completed');
    expect(JSON.parse(e.body)).toEqual({
      type: 'video.generation.completed',
      timestamp: '2026-01-02T03:04:05.000Z',
      data: {
        generationId: 'gen_1', status: 'completed', outputUrl: 'https://cdn/x.mp4', errorMessage: null, model: 'google/veo-3.1', provider: 'replicate',
        costCents: 240, completedAt: Date.parse('2026-01-02T03:04:05.000Z') / 1000,
      },
    });
  });

  it('failures are sent too, with the error message', () => {
    const e = customerEventFromGeneration({ ...evt, status: 'failed', succeeded: false, outputUrl: null, errorMessage: 'Reservation failed', costCents: 0 });
    expect(JSON.parse(e.body).data).toMatchObject({ status: 'failed', outputUrl: null, errorMessage: 'Reservation failed' });
  });

  it('Responses API → response.completed: the response object, spec-002 fields from extra, internal flags dropped', () => {
    const e = customerEventFromGeneration({
      ...evt, api: 'responses', status: 'failed', errorMessage: 'Provider returned failure', outputUrl: null,
      extra: { engine: 'lottie', id: 'spoofed', status: 'completed', usage: null, artifact_url: null, keepTokenCharge: true, createdAt: '2026-01-02T03:03:05.000Z' },
    });
    expect(e.type).toBe('response.completed');
    const data = JSON.parse(e.body).data;
    expect(data).toMatchObject({
      id: 'gen_1', object: 'response', status: 'failed', engine: 'lottie', output_video_url: null, usage: null,
      error: { code: 'generation_failed', message: 'Provider returned failure' },
      created_at: Date.parse('2026-01-02T03:03:05.000Z') / 1000, completed_at: Date.parse('2026-01-02T03:04:05.000Z'), latency_ms: 60_000,
      output: [{ type: 'message', id: 'gen_1_msg', role: 'assistant', status: 'incomplete', content: [] }],
    });
    expect(data).not.toHaveProperty('keepTokenCharge');
    expect(data).not.toHaveProperty('createdAt');
  });

  it('a completed response carries its video as an output_video part', () => {
    const data = JSON.parse(customerEventFromGeneration({ ...evt, api: 'responses', model: 'moonshotai/kimi-k2.5', provider: 'framerate' }).body).data;
    expect(data).toMatchObject({
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
