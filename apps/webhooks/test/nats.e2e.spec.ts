import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { RPC, type WebhookListPage } from '@pipevideo/contracts';
import { connect } from 'nats';
import { createTestDatabase, NATS_TEST_URL, requireNats, type TestDatabase } from '@pipevideo/platform';
import { JetStreamHygiene } from '../src/bench/jetstream-hygiene';
import { Receiver } from './support/receiver';
import { finishedEvent, publish, startTestService, waitForDeliveries } from './support/service';

describe('over NATS: JetStream generation.finished → signed delivery; RPC served on NATS', () => {
  let db: TestDatabase;
  let receiver: Receiver;
  beforeEach(async () => {
    db = await createTestDatabase('pv_webhooks_nats');
    receiver = await Receiver.start();
  });
  afterEach(async () => {
    await receiver.close();
    await db.drop();
  });

  it('delivers an event that came through JetStream', async () => {
    if (!(await requireNats())) return;
    const consumerName = `webhooks-test-${db.name}`;
    const nc = await connect({ servers: NATS_TEST_URL });
    const hygiene = await JetStreamHygiene.prepare(nc, consumerName);
    const svc = await startTestService(db, { messaging: { kind: 'nats', url: NATS_TEST_URL }, consumerName });
    const orgId = `org_${randomUUID().slice(0, 8)}`;
    try {
      // Created through the use case directly: on a shared NATS another webhooks instance (another
      // database) may be in the same queue group and answer RPCs meant for this one.
      const ep = await svc.api.create({ v: 1, orgId, url: receiver.url } as any);
      const page = await svc.ctx.messaging.rpc.request<WebhookListPage<unknown>>(RPC.webhooks.endpointList, { orgId: `org_nobody_${randomUUID()}` });
      expect(page).toMatchObject({ object: 'list', data: [], has_more: false });

      const evt = finishedEvent(orgId);
      await publish(svc, evt);
      await receiver.waitFor((r) => r.succeeded.length === 1);
      const body = new Webhook(ep.secret).verify(receiver.requests[0].body, receiver.requests[0].headers) as any;
      expect(body).toMatchObject({ type: 'video.generation.completed', data: { generationId: evt.generationId, status: 'completed' } });
      // JetStream de-duplicates the re-publish of an event id; our inbox would absorb it anyway.
      await publish(svc, evt);
      await new Promise((r) => setTimeout(r, 300));
      expect((await waitForDeliveries(svc, orgId, ep.id, () => true)).length).toBe(1);
    } finally {
      await svc.close();
      await hygiene.cleanUp((p) => p.orgId === orgId);
      await nc.close();
    }
  }, 30_000);
});
