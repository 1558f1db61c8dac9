import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { RPC, type WebhookEndpointWithSecret } from '@pipevideo/contracts';
import { createTestDatabase, type TestDatabase } from '@pipevideo/platform';
import { Receiver } from './support/receiver';
import { finishedEvent, publish, rpc, startTestService, waitForDeliveries } from './support/service';

/** Starts the crash child and resolves with what it printed once its deliveries are under way. */
function startChild(db: TestDatabase, receiverUrl: string, count: number): Promise<{ child: ChildProcess; info: { orgId: string; endpointId: string; secret: string } }> {
  const child = spawn(
    process.execPath,
    ['-r', path.join(__dirname, 'support/ts-register.js'), path.join(__dirname, 'support/crash-child.ts'), db.url, db.name, receiverUrl, String(count)],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'error' } },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c) => {
      out += String(c);
      const m = out.match(/READY (.*)\n/);
      if (m) resolve({ child, info: JSON.parse(m[1]) });
    });
    child.stderr!.on('data', (c) => (err += String(c)));
    child.on('exit', (code) => reject(new Error(`crash child exited (${code}) before READY: ${err}`)));
  });
}

describe('restarts: nothing is lost when a webhooks instance dies or stops mid-delivery', () => {
  let db: TestDatabase;
  let receiver: Receiver;
  beforeEach(async () => {
    db = await createTestDatabase('pv_webhooks_restart');
    receiver = await Receiver.start();
  });
  afterEach(async () => {
    await receiver.close();
    await db.drop();
  });

  it('an instance SIGKILLed while deliveries are in flight: a new instance retakes them when the lease runs out', async () => {
    // The first two requests never get an answer: the killed instance holds them (leased) when it dies.
    receiver.answer('hang', 'hang');
    const { child, info } = await startChild(db, receiver.url, 5);
    await receiver.waitFor((r) => r.requests.length >= 2, 15_000, 'two requests in flight');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const inFlight = receiver.requests.slice(0, 2).map((q) => q.headers['webhook-id']);

    const svc = await startTestService(db);
    try {
      await receiver.waitFor((r) => new Set(r.succeeded.map((q) => q.headers['webhook-id'])).size === 5, 20_000, 'all five delivered');
      const wh = new Webhook(info.secret);
      for (const q of receiver.succeeded) expect(() => wh.verify(q.body, q.headers)).not.toThrow();
      // The two that were in flight when the process died were delivered again, same webhook-id.
      for (const id of inFlight) expect(receiver.succeeded.map((q) => q.headers['webhook-id'])).toContain(id);
      const log = await waitForDeliveries(svc, info.orgId, info.endpointId, (ds) => ds.length === 5 && ds.every((d) => d.status === 'succeeded'));
      expect(log.filter((d) => d.attempts === 2)).toHaveLength(2);
    } finally {
      await svc.close();
    }
  }, 40_000);

  it('an instance closed mid-delivery hands its claims back, and the next instance delivers them at once', async () => {
    receiver.answer('hang');
    const a = await startTestService(db, { timeoutMs: 30_000, leaseMarginMs: 30_000 });
    const orgId = 'org_graceful';
    const ep = await rpc(a, RPC.webhooks.endpointCreate, { orgId, url: receiver.url });
    await publish(a, finishedEvent(orgId));
    await receiver.waitFor((r) => r.requests.length === 1);
    await a.close(); // grace 100 ms, then the attempt is aborted and released (no 60 s lease to wait for)

    const b = await startTestService(db, { timeoutMs: 30_000, leaseMarginMs: 30_000 });
    try {
      await receiver.waitFor((r) => r.succeeded.length === 1, 10_000, 'redelivery after restart');
      expect(receiver.succeeded[0].headers['webhook-id']).toBe(receiver.requests[0].headers['webhook-id']);
      const [d] = await waitForDeliveries(b, orgId, ep.id, (ds) => ds[0]?.status === 'succeeded');
      expect(d.attempts).toBe(1); // the aborted attempt was handed back, not counted
    } finally {
      await b.close();
    }
  }, 30_000);
});
