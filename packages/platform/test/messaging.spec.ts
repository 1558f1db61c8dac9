import { Controller, Inject, Module } from '@nestjs/common';
import { BalanceView, DomainError, ErrorCode, EVENTS, GenerationFinishedEvt, OrgMsg, RPC, TopupMsg, TopupReply } from '@pipevideo/contracts';
import {
  addToOutbox, createInProcessWiring, outboxWrites, createTestDatabase, deleteNatsNamespace, Handles, MessagingConfig, NATS_TEST_URL, processOnce,
  requireNats, RunningService, SERVICE_CONTEXT, ServiceContext, startService, subscribeEvents, TestDatabase,
} from '../src';

const balance: BalanceView = { balance_cents: 5, held_cents: 0, available_cents: 5, owed_cents: 0 };

function finished(n: number): GenerationFinishedEvt {
  return {
    v: 1, eventId: `finished:gen_${n}`, api: 'video', generationId: `gen_${n}`, orgId: 'org_echo', status: 'completed', succeeded: true, model: null,
    provider: null, holdId: null, costCents: n, keepTokenCharge: false, outputUrl: null, errorMessage: null, finishedAt: new Date().toISOString(),
  };
}

/** A service answering two seam subjects with @Handles: requests arrive decoded, replies are the subject's type. */
@Controller()
class EchoController {
  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {}
  @Handles(RPC.billing.balanceGet)
  balance(msg: OrgMsg): BalanceView {
    if (msg.orgId === 'org_missing') throw new DomainError(ErrorCode.NOT_FOUND, 'no such thing');
    if (msg.orgId === 'org_crash') throw new Error('secret internals');
    return balance;
  }
  @Handles(RPC.billing.topupCreate)
  async emit(msg: TopupMsg): Promise<TopupReply> {
    await this.ctx.ds.transaction((m) => addToOutbox(m, EVENTS.generationFinished, finished(msg.amountCents)));
    void this.ctx.relay.kick();
    return { transactionId: '1', duplicate: false, balance };
  }
}
@Module({ controllers: [EchoController] })
class EchoModule {}

async function scenario(messaging: MessagingConfig, db: TestDatabase) {
  const svc: RunningService = await startService({ name: 'echo', port: 0, messaging, db: { url: db.url, migrations: [] }, module: () => EchoModule });
  try {
    const rpc = svc.ctx.messaging.rpc;
    await expect(rpc.request(RPC.billing.balanceGet, { orgId: 'org_a' })).resolves.toEqual(balance);
    // Decoded once at the handler's boundary: a malformed request is a BAD_REQUEST naming the field.
    await expect(rpc.request(RPC.billing.balanceGet, { orgId: '' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('orgId') });
    await expect(rpc.request(RPC.billing.balanceGet, { orgId: 'org_missing' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no such thing' });
    await expect(rpc.request(RPC.billing.balanceGet, { orgId: 'org_crash' })).rejects.toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
    await expect(rpc.request(RPC.webhooks.endpointList, { orgId: 'org_a' })).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });

    const seen: number[] = [];
    let failOnce = true;
    await subscribeEvents(svc.ctx.messaging.events, `echo-consumer-${db.name}`, {
      [EVENTS.generationFinished]: async (evt) => {
        if (failOnce) {
          failOnce = false;
          throw new Error('transient');
        }
        await processOnce(svc.ctx.ds, 'echo', evt.eventId, async () => {
          seen.push(evt.costCents);
        });
      },
    });
    const writesBefore = outboxWrites(svc.ctx.ds);
    await rpc.request(RPC.billing.topupCreate, { orgId: 'org_a', amountCents: 7, idempotencyKey: 'k', source: 'operator' });
    // Counted per data source, so a caller can tell whether its work wrote an event to relay.
    expect(outboxWrites(svc.ctx.ds)).toBe(writesBefore + 1);
    const deadline = Date.now() + 15000;
    while (!seen.includes(7) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([7]);

    const res = await fetch(`${svc.url}/metrics`);
    expect(await res.text()).toContain('pipevideo_nats_handler_duration_seconds');
    expect((await fetch(`${svc.url}/health/ready`)).status).toBe(200);
    // PostgreSQL gone → not ready (503), still alive.
    await svc.ctx.ds.destroy();
    const ready = await fetch(`${svc.url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'unavailable', checks: { postgres: false } });
    expect((await fetch(`${svc.url}/health/live`)).status).toBe(200);
  } finally {
    await svc.close();
  }
}

describe('messaging', () => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await db.drop();
  });

  it('in-process transport: rpc, typed errors, fast 503, durable event with redelivery', async () => {
    await scenario({ kind: 'inprocess', wiring: createInProcessWiring() }, db);
  }, 30000);

  it('NATS transport: the same semantics', async () => {
    if (!(await requireNats())) return;
    await scenario({ kind: 'nats', url: NATS_TEST_URL, prefix: db.name }, db);
    await deleteNatsNamespace(db.name);
  }, 30000);
});
