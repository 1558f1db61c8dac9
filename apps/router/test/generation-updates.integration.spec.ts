/**
 * `generation.updated` at the source: the router on a real PostgreSQL (the trigger's NOTIFY, delivered on
 * commit) relays every visible change of a generation to the broadcast subject `generation.updated.<org>`,
 * and nothing for invisible bookkeeping; a lost listener connection is followed by `generation.view_reset`.
 * Billing and providers are stand-ins on the in-process bus.
 */
import { BROADCASTS, EVENTS, type GenerationUpdatedMsg, RPC } from '@pipevideo/contracts';
import { createInProcessWiring, createTestDatabase, InProcessWiring, TestDatabase } from '@pipevideo/platform';
import { Client } from 'pg';
import { startRouterService } from '../src/service';

jest.setTimeout(30_000);

function serve(w: InProcessWiring, subject: string, fn: (d: any) => any) {
  w.bus.register(subject, async (raw) => {
    const p = JSON.parse(raw);
    return JSON.stringify({ id: p.id, response: await fn(p.data), isDisposed: true });
  });
}

describe('generation.updated notices', () => {
  let db: TestDatabase;
  let w: InProcessWiring;
  let svc: Awaited<ReturnType<typeof startRouterService>>;
  const notices: Array<{ subject: string; msg: GenerationUpdatedMsg }> = [];
  const resets: string[] = [];
  const submits: any[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    w = createInProcessWiring();
    serve(w, RPC.billing.holdPlace, (d) => ({ holdId: d.holdId }));
    serve(w, RPC.providers.jobSubmit, (d) => {
      submits.push(d);
      return { ok: true, providerJobId: 'job', mode: 'callback' };
    });
    serve(w, RPC.providers.jobCancel, () => ({ cancelled: true }));
    w.bus.onBroadcast(`${BROADCASTS.generationUpdated}.>`, (subject, data) => notices.push({ subject, msg: JSON.parse(data) }));
    w.bus.onBroadcast(BROADCASTS.generationViewReset, (subject) => resets.push(subject));
    svc = await startRouterService({
      messaging: { kind: 'inprocess', wiring: w },
      databaseUrl: db.url,
      port: 0,
      config: { sweepIntervalMs: 100, dispatchLeaseMs: 5000, configuredProviders: ['fal', 'replicate', 'vercel-gateway', 'framerate'] },
    });
  });
  afterAll(async () => {
    await svc?.close();
    await db?.drop();
  });

  const until = async <T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const v = await fn();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`timeout waiting for ${what}`);
  };
  const of = (id: string) => notices.filter((n) => n.msg.id === id);

  it('announces each committed visible change on the org’s subject, with the status a re-read sees', async () => {
    const c = await svc.ctx.messaging.rpc.request<any>(RPC.router.generationCreate, { orgId: 'org_a', request: { prompt: 'a cat', models: ['google/veo-3.1'] } });
    const processing = await until('processing notice', () => of(c.id).find((n) => n.msg.status === 'processing'));
    expect(processing).toEqual({ subject: 'generation.updated.org_a', msg: { v: 1, id: c.id, orgId: 'org_a', api: 'video', status: 'processing', attempt: 1, deleted: false } });
    // The notice follows the commit: a read after it sees at least that state.
    expect((await svc.ctx.messaging.rpc.request<any>(RPC.router.generationGet, { orgId: 'org_a', id: c.id })).status).toBe('processing');

    const sub = submits.find((s) => s.generationId === c.id);
    await w.events.publish(EVENTS.providerJobFinished, `done-${c.id}`, JSON.stringify({ v: 1, eventId: `done-${c.id}`, generationId: c.id, attempt: sub.attempt, provider: sub.provider, providerJobId: 'job', outcome: 'succeeded', outputUrl: 'https://cdn/x.mp4' }));
    await until('completed notice', () => of(c.id).find((n) => n.msg.status === 'completed'));

    // Invisible bookkeeping (the dispatch lease) announces nothing.
    const before = of(c.id).length;
    await svc.ctx.ds.query(`UPDATE generations SET lease_owner = 'someone', lease_until = now() WHERE id = $1`, [c.id]);
    await svc.ctx.ds.query(`UPDATE generations SET deleted_at = now() WHERE id = $1`, [c.id]);
    const deleted = await until('deleted notice', () => of(c.id).find((n) => n.msg.deleted));
    expect(deleted.msg.status).toBe('completed');
    expect(of(c.id)).toHaveLength(before + 1);
  });

  it('a rolled-back change announces nothing', async () => {
    const c = await svc.ctx.messaging.rpc.request<any>(RPC.router.generationCreate, { orgId: 'org_b', request: { prompt: 'a dog', models: ['google/veo-3.1'] } });
    await until('processing notice', () => of(c.id).find((n) => n.msg.status === 'processing'));
    const runner = svc.ctx.ds.createQueryRunner();
    await runner.startTransaction();
    await runner.query(`UPDATE generations SET status = 'failed' WHERE id = $1`, [c.id]);
    await runner.rollbackTransaction();
    await runner.release();
    // A committed change after it is announced, and the rolled-back one never was.
    await svc.ctx.ds.query(`UPDATE generations SET error_code = 'x' WHERE id = $1`, [c.id]);
    await until('the later notice', () => of(c.id).filter((n) => n.msg.status === 'processing').length >= 2 || undefined);
    expect(of(c.id).some((n) => n.msg.status === 'failed')).toBe(false);
  });

  it('after the listening connection is lost it reconnects and broadcasts generation.view_reset', async () => {
    const resetsBefore = resets.length;
    const admin = new Client({ connectionString: db.url });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %generation_updated%'`);
      expect(rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    await until('a reset', () => resets.length > resetsBefore || undefined);
    // And it relays again.
    const c = await svc.ctx.messaging.rpc.request<any>(RPC.router.generationCreate, { orgId: 'org_c', request: { prompt: 'a bird', models: ['google/veo-3.1'] } });
    await until('processing notice after the reconnect', () => of(c.id).find((n) => n.msg.status === 'processing'));
  });
});
