import { Controller, Inject, Module } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { DomainError, ErrorCode } from '@pipevideo/contracts';
import {
  addToOutbox, createInProcessWiring, createTestDatabase, deleteNatsNamespace, MessagingConfig, NATS_TEST_URL, processOnce, requireNats, RunningService,
  SERVICE_CONTEXT, ServiceContext, startService, TestDatabase,
} from '../src';

@Controller()
class EchoController {
  constructor(@Inject(SERVICE_CONTEXT) private readonly ctx: ServiceContext) {}
  @MessagePattern('echo.message.send')
  echo(@Payload() data: { text: string }) {
    if (data.text === 'fail') throw new DomainError(ErrorCode.NOT_FOUND, 'no such thing');
    if (data.text === 'crash') throw new Error('secret internals');
    return { echoed: data.text };
  }
  @MessagePattern('echo.event.emit')
  async emit(@Payload() data: { n: number }) {
    await this.ctx.ds.transaction((m) => addToOutbox(m, 'generation.finished', { n: data.n }));
    void this.ctx.relay.kick();
    return { ok: true };
  }
}
@Module({ controllers: [EchoController] })
class EchoModule {}

async function scenario(messaging: MessagingConfig, db: TestDatabase) {
  const svc: RunningService = await startService({ name: 'echo', port: 0, messaging, db: { url: db.url, migrations: [] }, module: () => EchoModule });
  try {
    const rpc = svc.ctx.messaging.rpc;
    await expect(rpc.request('echo.message.send', { text: 'hi' })).resolves.toEqual({ echoed: 'hi' });
    await expect(rpc.request('echo.message.send', { text: 'fail' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'no such thing' });
    await expect(rpc.request('echo.message.send', { text: 'crash' })).rejects.toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
    await expect(rpc.request('nobody.home.ping', {})).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });

    const seen: number[] = [];
    let failOnce = true;
    await svc.ctx.messaging.events.subscribe(`echo-consumer-${db.name}`, ['generation.finished'], async (_s, payload) => {
      const evt = JSON.parse(payload);
      if (failOnce) {
        failOnce = false;
        throw new Error('transient');
      }
      await processOnce(svc.ctx.ds, 'echo', evt.eventId, async () => {
        seen.push(evt.n);
      });
    });
    await rpc.request('echo.event.emit', { n: 7 });
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
