import { InProcessEventBus } from '../src/messaging/in-process-event-bus';

describe('in-process event bus', () => {
  it('replicas under one consumer name share the events; each other consumer gets every event', async () => {
    const bus = new InProcessEventBus(3, 1);
    const seen: string[] = [];
    const a = bus.view();
    const b = bus.view();
    await a.subscribe('router', ['job.finished'], async (_s, p) => void seen.push(`a:${p}`));
    await b.subscribe('router', ['job.finished'], async (_s, p) => void seen.push(`b:${p}`));
    await b.subscribe('audit', ['job.finished'], async (_s, p) => void seen.push(`audit:${p}`));
    for (const n of ['1', '2', '3', '4']) await bus.publish('job.finished', `e${n}`, n);
    const routerSeen = seen.filter((s) => !s.startsWith('audit'));
    expect(routerSeen.map((s) => s.slice(2)).sort()).toEqual(['1', '2', '3', '4']);
    expect(routerSeen.some((s) => s.startsWith('a:')) && routerSeen.some((s) => s.startsWith('b:'))).toBe(true);
    expect(seen.filter((s) => s.startsWith('audit'))).toHaveLength(4);
  });

  it("a closed view's subscriptions leave; the replica that stays gets everything", async () => {
    const bus = new InProcessEventBus(3, 1);
    const seen: string[] = [];
    const stays = bus.view();
    const leaves = bus.view();
    await stays.subscribe('router', ['job.finished'], async (_s, p) => void seen.push(`stays:${p}`));
    await leaves.subscribe('router', ['job.finished'], async () => {
      throw new Error('closed replica must not be called');
    });
    await leaves.close();
    for (const n of ['1', '2']) await bus.publish('job.finished', `e${n}`, n);
    expect(seen).toEqual(['stays:1', 'stays:2']);
  });

  it('a failing member is retried on the next member; with none left, publish rejects (the outbox keeps the event)', async () => {
    const bus = new InProcessEventBus(3, 1);
    const seen: string[] = [];
    const flaky = bus.view();
    const healthy = bus.view();
    await flaky.subscribe('router', ['x'], async () => {
      throw new Error('flaky');
    });
    await healthy.subscribe('router', ['x'], async (_s, p) => void seen.push(p));
    await bus.publish('x', 'e1', 'one');
    expect(seen).toEqual(['one']);
    await healthy.close();
    await expect(bus.publish('x', 'e2', 'two')).rejects.toThrow(/flaky/);
  });

  it('a consumer whose every member has left keeps its events waiting (publish fails, the outbox keeps them) until a member is back', async () => {
    const bus = new InProcessEventBus(2, 1);
    const first = bus.view();
    await first.subscribe('webhooks', ['generation.finished'], async () => undefined);
    await first.close();
    await expect(bus.publish('generation.finished', 'e1', 'one')).rejects.toThrow(/no subscriber of webhooks/);
    const seen: string[] = [];
    await bus.view().subscribe('webhooks', ['generation.finished'], async (_s, p) => void seen.push(p));
    await bus.publish('generation.finished', 'e1', 'one'); // the outbox's redelivery
    expect(seen).toEqual(['one']);
  });
});
