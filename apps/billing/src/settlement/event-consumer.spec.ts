import { PoisonEventError } from '@pipevideo/platform';
import type { DataSource } from 'typeorm';
import { BillingEventConsumer } from './event-consumer';

describe('BillingEventConsumer: events that can never settle go to the dead-letter queue, not away', () => {
  // Malformed events are refused before any database work: no data source needed.
  const consumer = new BillingEventConsumer(undefined as unknown as DataSource, {} as never, {} as never);

  it.each([
    ['generation.finished', 'not json', /not JSON/],
    ['generation.finished', JSON.stringify({ eventId: 'e1', orgId: 'org_a', api: 'video', succeeded: true }), /generationId missing/],
    ['hold.release_requested', JSON.stringify({ eventId: 'e2', orgId: 'org_a' }), /holdId missing/],
  ])('%s %s → PoisonEventError', async (subject, payload, why) => {
    const err = await consumer.handle(subject, payload).catch((e) => e);
    expect(err).toBeInstanceOf(PoisonEventError);
    expect(err.message).toMatch(why);
  });
});
