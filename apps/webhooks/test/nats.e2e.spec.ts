import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { RPC, type WebhookEndpointWithSecret, type WebhookListPage } from '@pipevideo/contracts';
import { createTestDatabase, deleteNatsNamespace, NATS_TEST_URL, requireNats, type TestDatabase } from '@pipevideo/platform';
import { Receiver } from './support/receiver';
import { finishedEvent, publish, rpc, startTestService, waitForDeliveries } from './support/service';

describe('over NATS: RPC on NATS, generation.finished through JetStream → signed delivery', () => {
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

  it('creates an endpoint over NATS and delivers an event that came through JetStream', async () => {
    if (!(await requireNats())) return;
    // Its own namespace (subjects, stream, durables): nobody else's services answer or consume here.
    const svc = await startTestService(db, { messaging: { kind: 'nats', url: NATS_TEST_URL, prefix: db.name } });
    try {
      const orgId = `org_${randomUUID().slice(0, 8)}`;
      const ep = await rpc(svc, RPC.webhooks.endpointCreate, { orgId, url: receiver.url });
      const page = await rpc(svc, RPC.webhooks.endpointList, { orgId });
      expect(page).toMatchObject({ object: 'list', data: [{ id: ep.id }], has_more: false });
      await expect(rpc(svc, RPC.webhooks.endpointGet, { orgId: 'org_other', id: ep.id })).rejects.toMatchObject({ code: 'NOT_FOUND' });

      const evt = finishedEvent(orgId);
      await publish(svc, evt);
      await receiver.waitFor((r) => r.succeeded.length === 1);
      const body = new Webhook(ep.secret).verify(receiver.requests[0].body, receiver.requests[0].headers) as any;
      expect(body).toMatchObject({ type: 'video.generation.completed', data: { generationId: evt.generationId, status: 'completed' } });
      // A re-published event id is dropped by JetStream (and would be by our inbox).
      await publish(svc, evt);
      await new Promise((r) => setTimeout(r, 300));
      expect(await waitForDeliveries(svc, orgId, ep.id, () => true)).toHaveLength(1);
    } finally {
      await svc.close();
      await deleteNatsNamespace(db.name);
    }
  }, 30_000);
});
