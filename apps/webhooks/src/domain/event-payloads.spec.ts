import type { GenerationFinishedEvt } from '@pipevideo/contracts';
import { customerEventFromGeneration, testEvent } from './event-payloads';

const evt: GenerationFinishedEvt = {
  v: 1, eventId: 'e1', api: 'video', generationId: 'gen_1', orgId: 'org_1', status: 'completed', succeeded: true, model: 'google/veo-3.1',
  provider: 'replicate', holdId: 'gen_1:1', costCents: 240, keepTokenCharge: false, outputUrl: 'https://cdn/x.mp4', errorMessage: null, finishedAt: '2026-01-02T03:04:05.000Z',
};

const body = (e: GenerationFinishedEvt) => JSON.parse(customerEventFromGeneration(e)!.body);

describe('customer event payloads', () => {
  it('video API → video.generation.completed: spec 004 fields, api: video, and the generation exactly as GET returns it', () => {
    const generation = { id: 'gen_1', status: 'completed', model: 'google/veo-3.1', provider: 'pipevideo', output_url: 'https://cdn/x.mp4', cost_cents: 240, error_code: null, attempts: [] };
    const e = customerEventFromGeneration({ ...evt, resource: generation as never /* a partial fixture */ })!;
    expect(e.type).toBe('video.generation.completed');
    expect(JSON.parse(e.body)).toEqual({
      type: 'video.generation.completed',
      timestamp: '2026-01-02T03:04:05.000Z',
      data: { generationId: 'gen_1', status: 'completed', outputUrl: 'https://cdn/x.mp4', errorMessage: null, api: 'video', generation },
    });
  });

  it('failures are sent too, with our error message', () => {
    expect(body({ ...evt, status: 'failed', succeeded: false, outputUrl: null, errorMessage: 'Reservation failed', costCents: 0 }).data).toMatchObject({
      status: 'failed', outputUrl: null, errorMessage: 'Reservation failed',
    });
  });

  it('Responses API → the same event type with the response object exactly as GET returns it (engine, usage, artifact)', () => {
    const response = {
      id: 'resp_1', object: 'response', status: 'completed', engine: 'lottie', provider: 'framerate', usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3, cost_usd: 0.01, charged_cents: 1, estimated: false },
      artifact_url: 'https://cdn/anim.json', artifact_type: 'application/json', completed_at: 1767323045000,
    };
    const data = body({ ...evt, api: 'responses', generationId: 'resp_1', resource: response as never /* a partial fixture */ }).data;
    expect(data).toEqual({ generationId: 'resp_1', status: 'completed', outputUrl: 'https://cdn/x.mp4', errorMessage: null, api: 'responses', response });
  });

  it('data.status is only ever completed or failed: incomplete is a failure (its response says incomplete); cancelled raises no event', () => {
    const data = body({ ...evt, api: 'responses', status: 'incomplete', succeeded: false, outputUrl: null, errorMessage: 'Provider returned failure: …', resource: { object: 'response', status: 'incomplete' } as never }).data;
    expect(data).toMatchObject({ status: 'failed', errorMessage: 'Provider returned failure: …', response: { status: 'incomplete' } });
    expect(customerEventFromGeneration({ ...evt, api: 'responses', status: 'cancelled', succeeded: false })).toBeNull();
  });

  it('nothing internal reaches the customer: extra stays out, an event without the object carries the spec fields only', () => {
    const data = body({ ...evt, api: 'responses', keepTokenCharge: true, createdAt: '2026-01-02T03:03:05.000Z' }).data;
    expect(data).toEqual({ generationId: 'gen_1', status: 'completed', outputUrl: 'https://cdn/x.mp4', errorMessage: null, api: 'responses' });
  });

  it('test events carry the endpoint id', () => {
    expect(JSON.parse(testEvent('org_1', 'ep_1', new Date('2026-01-01T00:00:00Z')).body)).toEqual({ type: 'webhook.test', timestamp: '2026-01-01T00:00:00.000Z', data: { endpoint_id: 'ep_1', message: expect.any(String) } });
  });
});
