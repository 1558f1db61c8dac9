import { randomUUID } from 'node:crypto';
import { connect, NatsConnection } from 'nats';
import { deleteNatsNamespace, EventBus, InProcessEventBus, NATS_TEST_URL, NewDeadLetter, PoisonEventError, requireNats } from '../src';
import { JetStreamEventBus } from '../src/messaging/jetstream-event-bus';

const POLICY = { maxDeliveries: 4, maxBackoffMs: 20 };
const SUBJECT = 'generation.finished';

async function until<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The redelivery limit and the dead-letter queue, the same on both buses: a poison event is delivered
 * exactly maxDeliveries times and then kept (with its error) in the queue, an event declared poison goes
 * there at once, a transient failure is retried and handled once — none is lost, none is retried forever —
 * and the operator's replay runs a dead letter again once its cause is fixed.
 */
async function scenario(bus: EventBus, publish: (subject: string, id: string, payload: string) => Promise<void>) {
  const consumer = `dlq-test-${randomUUID().slice(0, 8)}`;
  const calls = new Map<string, number>();
  const handled: string[] = [];
  const deadLettered: NewDeadLetter[] = [];
  let fixed = false;
  await bus.subscribe(
    consumer,
    [SUBJECT],
    async (_s, payload) => {
      const e = JSON.parse(payload);
      calls.set(e.kind, (calls.get(e.kind) ?? 0) + 1);
      if (e.kind === 'poison' && !fixed) throw new Error('cannot settle: no such hold');
      if (e.kind === 'declared') throw new PoisonEventError('malformed event: holdId missing');
      if (e.kind === 'transient' && calls.get('transient')! < 3) throw new Error('database restarting');
      handled.push(e.kind);
    },
    { onDeadLetter: (l) => deadLettered.push(l) },
  );
  expect(await bus.deadLetters.list(10)).toEqual([]);
  expect(await bus.deadLetters.get('1')).toBeUndefined();
  const ids = { poison: randomUUID(), declared: randomUUID(), transient: randomUUID() };
  await Promise.all(Object.entries(ids).map(([kind, eventId]) => publish(SUBJECT, eventId, JSON.stringify({ eventId, kind }))));

  await until('the transient event to be handled', () => handled.includes('transient'));
  await until('two dead letters', async () => (await bus.deadLetters.count()) === 2);
  expect(calls.get('transient')).toBe(3);
  expect(calls.get('poison')).toBe(POLICY.maxDeliveries);
  expect(calls.get('declared')).toBe(1);
  expect(deadLettered.map((l) => l.eventId).sort()).toEqual([ids.poison, ids.declared].sort());

  const letters = await bus.deadLetters.list(10);
  const poison = letters.find((l) => l.eventId === ids.poison)!;
  expect(poison).toMatchObject({ consumer, subject: SUBJECT, deliveries: POLICY.maxDeliveries, error: 'cannot settle: no such hold' });
  expect(JSON.parse(poison.payload)).toEqual({ eventId: ids.poison, kind: 'poison' });
  expect(letters.find((l) => l.eventId === ids.declared)).toMatchObject({ deliveries: 1, error: 'PoisonEventError: malformed event: holdId missing' });
  expect(await bus.deadLetters.get(poison.id)).toEqual(poison);
  expect(await bus.deadLetters.list(10, poison.id)).toEqual(letters.filter((l) => Number(l.id) > Number(poison.id)));
  // Dead-lettered means no more deliveries.
  await new Promise((r) => setTimeout(r, 300));
  expect(calls.get('poison')).toBe(POLICY.maxDeliveries);

  // The cause is fixed; the operator replays it: handled once more, and gone from the queue.
  fixed = true;
  expect((await bus.deadLetters.replay(poison.id))?.eventId).toBe(ids.poison);
  await until('the replayed event to be handled', () => handled.includes('poison'));
  expect(await bus.deadLetters.get(poison.id)).toBeUndefined();
  expect(await bus.deadLetters.replay(poison.id)).toBeUndefined();
  const declared = letters.find((l) => l.eventId === ids.declared)!;
  expect(await bus.deadLetters.discard(declared.id)).toBe(true);
  expect(await bus.deadLetters.discard(declared.id)).toBe(false);
  expect(await bus.deadLetters.count()).toBe(0);
  expect(handled.sort()).toEqual(['poison', 'transient']);
}

describe('dead letters', () => {
  it('in-process bus (embedded mode without NATS)', async () => {
    const bus = new InProcessEventBus(3, 5, POLICY);
    // The outbox relay's part: a publish that some consumer has not acked yet is tried again later.
    const relay = async (subject: string, id: string, payload: string) => {
      for (;;) {
        try {
          return await bus.publish(subject, id, payload);
        } catch {
          await new Promise((r) => setTimeout(r, 10));
        }
      }
    };
    await scenario(bus, relay);
    await bus.close();
  });

  describe('JetStream', () => {
    let nc: NatsConnection | undefined;
    const prefix = `pv_dlq_${Date.now().toString(36)}`;
    afterAll(async () => {
      await nc?.close();
      await deleteNatsNamespace(prefix);
    });

    it('JetStream bus', async () => {
      if (!(await requireNats())) return;
      nc = await connect({ servers: NATS_TEST_URL });
      const bus = await JetStreamEventBus.create(nc, `${prefix}.`, POLICY);
      await scenario(bus, (subject, id, payload) => bus.publish(subject, id, payload));
      await bus.close();
    });
  });
});
