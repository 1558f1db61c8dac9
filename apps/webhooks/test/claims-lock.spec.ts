/**
 * Transactions that lock an endpoint and one of its deliveries take turns with claims (claims-lock.ts).
 * Each case plays a claim by hand on its own connection, in the order that used to close a lock cycle:
 * the claim holds the delivery (it retook it after its lease ran out) and then updates the endpoint's
 * rate tokens, while the other transaction holds the endpoint and waits for the delivery. PostgreSQL
 * broke such a cycle after its deadlock_timeout by failing one side.
 */
import { randomUUID } from 'node:crypto';
import { RPC } from '@pipevideo/contracts';
import { createTestDatabase, type TestDatabase } from '@pipevideo/platform';
import type { QueryRunner } from 'typeorm';
import type { RunningWebhooksService } from '../src';
import { DeliveryStore, type ClaimedDelivery } from '../src/delivery/delivery-store';
import { Receiver } from './support/receiver';
import { finishedEvent, publish, rpc, startTestService, waitForDeliveries } from './support/service';

jest.setTimeout(30_000);

describe('webhooks: taking turns with claims', () => {
  let db: TestDatabase;
  let svc: RunningWebhooksService;
  let receiver: Receiver;
  let claim: QueryRunner | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('pv_webhooks_turns');
    // Attempts hang (the receiver never answers) for longer than each case runs.
    svc = await startTestService(db, { timeoutMs: 20_000 });
    receiver = (await Receiver.start()).answer('hang');
    receiver.fallback = 'hang';
  });
  afterEach(async () => {
    if (claim?.isTransactionActive) await claim.rollbackTransaction();
    await claim?.release();
    claim = undefined;
  });
  afterAll(async () => {
    await receiver?.close();
    await svc?.close();
    await db?.drop();
  });

  /** An endpoint with one delivery a worker is attempting (claimed: it holds a lease token). */
  async function deliveryInFlight(): Promise<{ orgId: string; endpointId: string; delivery: { id: string; lease_token: string } }> {
    const orgId = `org_${randomUUID().slice(0, 8)}`;
    const ep = await rpc(svc, RPC.webhooks.endpointCreate, { orgId, url: receiver.url });
    await publish(svc, finishedEvent(orgId));
    await waitForDeliveries(svc, orgId, ep.id, (ds) => ds[0]?.attempts === 1);
    const [delivery] = await svc.ctx.ds.query(`SELECT id, lease_token FROM deliveries WHERE endpoint_id = $1`, [ep.id]);
    expect(delivery.lease_token).toEqual(expect.any(String));
    return { orgId, endpointId: ep.id, delivery };
  }

  /** A claim by hand: the claims' lock, then the delivery retaken (its lease ran out mid-attempt). */
  async function claimRetaking(deliveryId: string): Promise<QueryRunner> {
    const qr = svc.ctx.ds.createQueryRunner();
    await qr.connect();
    await qr.startTransaction();
    await qr.query(`SELECT pg_advisory_xact_lock(hashtextextended('webhooks.claim_deliveries', 0))`);
    await qr.query(`UPDATE deliveries SET lease_token = gen_random_uuid()::text, next_attempt_at = now() + interval '30 seconds' WHERE id = $1`, [deliveryId]);
    return qr;
  }

  /** Lets the other transaction take whatever it takes first; then the claim spends the endpoint's rate tokens. */
  async function claimSpendsTokens(qr: QueryRunner, endpointId: string): Promise<void> {
    await new Promise((r) => setTimeout(r, 300));
    await qr.query(`UPDATE endpoints SET rate_tokens = 1, rate_refilled_at = now() WHERE id = $1`, [endpointId]);
    await qr.commitTransaction();
  }

  it('a failed attempt recorded after its lease ran out waits for the claim that retook it, then finds its lease lost', async () => {
    const { orgId, endpointId, delivery } = await deliveryInFlight();
    claim = await claimRetaking(delivery.id);
    const store = new DeliveryStore(svc.ctx.ds);
    const c = { id: delivery.id, leaseToken: delivery.lease_token, endpointId, orgId } as ClaimedDelivery;
    const recorded = store.recordFailure(
      c,
      { statusCode: 500, error: 'HTTP 500', latencyMs: 5 },
      () => ({ delivery: 'pending', retryInMs: 100, endpoint: 'failing' }),
      () => 'unused',
    );
    // Before, this failed with "deadlock detected" (or the record did, after PostgreSQL's deadlock_timeout).
    await claimSpendsTokens(claim, endpointId);
    await expect(recorded).resolves.toBeNull();
    const [ep] = await svc.ctx.ds.query(`SELECT failing_since, consecutive_exhausted FROM endpoints WHERE id = $1`, [endpointId]);
    expect(ep).toEqual({ failing_since: null, consecutive_exhausted: 0 });
  });

  it("an endpoint's deletion (which deletes its deliveries) waits for a claim holding one of them", async () => {
    const { orgId, endpointId, delivery } = await deliveryInFlight();
    claim = await claimRetaking(delivery.id);
    const deleted = rpc(svc, RPC.webhooks.endpointDelete, { orgId, id: endpointId });
    await claimSpendsTokens(claim, endpointId);
    await expect(deleted).resolves.toMatchObject({ id: endpointId, deleted: true });
    expect(await svc.ctx.ds.query(`SELECT id FROM deliveries WHERE endpoint_id = $1`, [endpointId])).toEqual([]);
  });

  it("a success recorded while a failing endpoint is deleted: both lock the delivery before the endpoint, so one waits for the other", async () => {
    const { orgId, endpointId, delivery } = await deliveryInFlight();
    // A success resets a failing endpoint's streak, so it writes the endpoint's row too.
    await svc.ctx.ds.query(`UPDATE endpoints SET failing_since = now(), consecutive_exhausted = 1 WHERE id = $1`, [endpointId]);
    // Someone holds the endpoint's row for a moment (an update of it); the deletion queues for it first, then the success.
    claim = svc.ctx.ds.createQueryRunner();
    await claim.connect();
    await claim.startTransaction();
    await claim.query(`SELECT id FROM endpoints WHERE id = $1 FOR UPDATE`, [endpointId]);
    const deleted = rpc(svc, RPC.webhooks.endpointDelete, { orgId, id: endpointId });
    await new Promise((r) => setTimeout(r, 200));
    const store = new DeliveryStore(svc.ctx.ds);
    const succeeded = store.markSucceeded({ id: delivery.id, leaseToken: delivery.lease_token, endpointId, orgId } as ClaimedDelivery, { statusCode: 200, error: null, latencyMs: 5 });
    await new Promise((r) => setTimeout(r, 200));
    await claim.commitTransaction();
    // Before, the deletion took the endpoint and then waited for the delivery the success held, which waited
    // for the endpoint: "deadlock detected", and one of the two failed.
    await expect(deleted).resolves.toMatchObject({ id: endpointId, deleted: true });
    await expect(succeeded).resolves.toBe(false); // its delivery went with the endpoint
  });
});
