/**
 * `generation.updated` at the source: the router on a real PostgreSQL announces every committed visible
 * change of a generation on the broadcast subject `generation.updated.<org>` (after the commit, never for
 * a rolled-back change), and `generation.view_reset` when it starts. Billing and providers are stand-ins
 * on the in-process bus.
 */
import { BROADCASTS, EVENTS, type GenerationUpdatedMsg, RPC } from '@pipevideo/contracts';
import { createInProcessWiring, createTestDatabase, InProcessWiring, TestDatabase } from '@pipevideo/platform';
import { placed, serve } from './support/stand-in';
import { startRouterService } from '../src/service';

jest.setTimeout(30_000);


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
    serve(w, RPC.billing.holdPlace, placed);
    serve(w, RPC.providers.jobSubmit, (d) => {
      submits.push(d);
      return { ok: true as const, providerJobId: 'job', mode: 'callback' as const };
    });
    serve(w, RPC.providers.keyActive, () => ({ providers: [] }));
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
    const c = await svc.ctx.messaging.rpc.request(RPC.router.generationCreate, { orgId: 'org_a', request: { prompt: 'a cat', models: ['google/veo-3.1'] } });
    const processing = await until('processing notice', () => of(c.id).find((n) => n.msg.status === 'processing'));
    expect(processing).toEqual({ subject: 'generation.updated.org_a', msg: { v: 1, id: c.id, orgId: 'org_a', api: 'video', status: 'processing', attempt: 1, deleted: false } });
    // The notice follows the commit: a read after it sees at least that state.
    expect((await svc.ctx.messaging.rpc.request(RPC.router.generationGet, { orgId: 'org_a', id: c.id })).status).toBe('processing');

    const sub = submits.find((s) => s.generationId === c.id);
    await w.events.publish(EVENTS.providerJobFinished, `done-${c.id}`, JSON.stringify({ v: 1, eventId: `done-${c.id}`, generationId: c.id, attempt: sub.attempt, provider: sub.provider, providerJobId: 'job', outcome: 'succeeded', outputUrl: 'https://cdn/x.mp4' }));
    await until('completed notice', () => of(c.id).find((n) => n.msg.status === 'completed'));

    // Deleting it (the OpenAI Videos face) is announced too: every face answers 404 from then on.
    await svc.ctx.messaging.rpc.request(RPC.router.videoDelete, { orgId: 'org_a', id: c.id });
    const deleted = await until('deleted notice', () => of(c.id).find((n) => n.msg.deleted));
    expect(deleted).toMatchObject({ subject: 'generation.updated.org_a', msg: { status: 'completed', deleted: true } });
  });

  it('a rolled-back change announces nothing; its committed retry does, once the transaction commits', async () => {
    const c = await svc.ctx.messaging.rpc.request(RPC.router.generationCreate, { orgId: 'org_b', request: { prompt: 'a dog', models: ['google/veo-3.1'] } });
    await until('processing notice', () => of(c.id).find((n) => n.msg.status === 'processing'));
    const finishFailed = () => ({ status: 'failed' as const, errorMessage: 'x', errorCode: 'provider_error', holdId: null });
    await expect(
      svc.ctx.ds.transaction(async (m) => {
        await svc.engine.store.finish(c.id, finishFailed(), m);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    let seenBeforeCommit = true;
    await svc.ctx.ds.transaction(async (m) => {
      await svc.engine.store.finish(c.id, finishFailed(), m);
      await new Promise((r) => setTimeout(r, 50));
      seenBeforeCommit = of(c.id).some((n) => n.msg.status === 'failed');
    });
    expect(seenBeforeCommit).toBe(false);
    await until('the committed failure', () => of(c.id).find((n) => n.msg.status === 'failed'));
    expect(of(c.id).filter((n) => n.msg.status === 'failed')).toHaveLength(1);
  });

  it('a router that starts tells every mirror to start over (generation.view_reset)', async () => {
    expect(resets.length).toBeGreaterThanOrEqual(1);
  });
});
