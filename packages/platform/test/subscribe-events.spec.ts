import { EVENTS, type GenerationFinishedEvt } from '@pipevideo/contracts';
import { InProcessEventBus, PoisonEventError, subscribeEvents } from '../src';

const event: GenerationFinishedEvt = {
  v: 1, eventId: 'finished:gen_1', api: 'responses', generationId: 'gen_1', orgId: 'org_a', status: 'cancelled', succeeded: false, model: null,
  provider: null, holdId: 'gen_1:1', costCents: 12, keepTokenCharge: true, outputUrl: null, errorMessage: null, finishedAt: '2026-12-07T00:00:00Z',
};

describe('subscribeEvents: each event decoded once, at the consumer boundary, by the seam map', () => {
  async function deliver(payload: string): Promise<{ got: GenerationFinishedEvt[]; error: unknown }> {
    const bus = new InProcessEventBus(1, 1).view();
    const got: GenerationFinishedEvt[] = [];
    let handler!: (subject: string, payload: string) => Promise<void>;
    // Capture the raw handler the helper registers, to feed it payloads directly.
    await subscribeEvents({ ...bus, subscribe: async (_c: string, _s: string[], h: typeof handler) => void (handler = h) } as typeof bus, 'test', {
      [EVENTS.generationFinished]: async (e) => void got.push(e),
    });
    const error = await handler(EVENTS.generationFinished, payload).then(() => null, (e: unknown) => e);
    return { got, error };
  }

  it('a valid event reaches its handler typed, money-deciding fields as named fields', async () => {
    const { got, error } = await deliver(JSON.stringify(event));
    expect(error).toBeNull();
    expect(got[0]).toMatchObject({ keepTokenCharge: true, costCents: 12, holdId: 'gen_1:1' });
  });

  it('an event still carrying keepTokenCharge in the old untyped `extra` bag is read the same way', async () => {
    const { keepTokenCharge: _k, ...old } = event;
    const { got } = await deliver(JSON.stringify({ ...old, extra: { keepTokenCharge: true, createdAt: '2026-12-06T00:00:00Z' } }));
    expect(got[0]).toMatchObject({ keepTokenCharge: true, createdAt: '2026-12-06T00:00:00Z' });
  });

  it.each([
    ['not JSON', 'not json', /malformed generation.finished event/],
    ['a missing generationId', JSON.stringify({ ...event, generationId: undefined }), /generationId/],
    ['a negative cost', JSON.stringify({ ...event, costCents: -5 }), /costCents/],
    ['an unknown api', JSON.stringify({ ...event, api: 'fax' }), /api/],
  ])('%s → dead-lettered at once (PoisonEventError), the handler never runs', async (_what, payload, why) => {
    const { got, error } = await deliver(payload);
    expect(got).toEqual([]);
    expect(error).toBeInstanceOf(PoisonEventError);
    expect((error as Error).message).toMatch(why);
  });
});
