/**
 * Public app rankings on a real PostgreSQL (docs/api-style.md, "Rankings"): apps are one org's title
 * and/or referer origin, only completed generations count, a minimum count before an app is shown,
 * titles sanitised and capped, referers cut to their origin before they are stored, per-org opt-out.
 */
import { APP_TITLE_MAX_LENGTH, EVENTS, RPC } from '@pipevideo/contracts';
import { createInProcessWiring, createTestDatabase, InProcessWiring, TestDatabase } from '@pipevideo/platform';
import { placed, serve } from './support/stand-in';
import { startRouterService } from '../src/service';


jest.setTimeout(60_000);

describe('app rankings', () => {
  let db: TestDatabase;
  let w: InProcessWiring;
  let svc: Awaited<ReturnType<typeof startRouterService>>;
  const submits: any[] = [];
  let n = 0;

  beforeAll(async () => {
    db = await createTestDatabase();
    w = createInProcessWiring();
    serve(w, RPC.billing.holdPlace, placed);
    serve(w, RPC.providers.jobSubmit, (d) => {
      submits.push(d);
      return { ok: true as const, providerJobId: `job-${d.generationId}`, mode: 'callback' as const };
    });
    serve(w, RPC.providers.jobCancel, () => ({ cancelled: true }));
    serve(w, RPC.providers.keyActive, () => ({ providers: [] }));
    svc = await startRouterService({
      messaging: { kind: 'inprocess', wiring: w },
      databaseUrl: db.url,
      port: 0,
      config: { rankingsMinGenerations: 2, sweepIntervalMs: 100, configuredProviders: ['fal', 'replicate', 'vercel-gateway', 'framerate'] },
    });
  });
  afterAll(async () => {
    await svc?.close();
    await db?.drop();
  });

  const rpc = () => svc.ctx.messaging.rpc;
  const until = async <T>(fn: () => Promise<T | undefined> | T | undefined, ms = 10_000): Promise<T> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const v = await fn();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 30));
    }
    throw new Error('timeout');
  };
  /** A generation with this attribution, taken to `outcome` by the provider. */
  async function generation(orgId: string, attribution: Record<string, string>, outcome: 'succeeded' | 'failed' | 'running' = 'succeeded') {
    const c = await rpc().request(RPC.router.generationCreate, { orgId, request: { prompt: 'a cat', models: ['wan/2.5'] }, attribution });
    const sub = await until(() => submits.find((s) => s.generationId === c.id));
    await until(async () => ((await rpc().request(RPC.router.generationGet, { orgId, id: c.id })).status === 'processing' ? true : undefined));
    if (outcome === 'running') return c.id;
    const eventId = `evt-${++n}`;
    await w.events.publish(EVENTS.providerJobFinished, eventId, JSON.stringify({
      v: 1, eventId, generationId: c.id, attempt: sub.attempt, provider: sub.provider, providerJobId: 'job', outcome,
      ...(outcome === 'succeeded' ? { outputUrl: 'https://cdn.example/x.mp4' } : { errorKind: 'moderation', errorMessage: 'content policy' }),
    }));
    await until(async () => (['completed', 'failed'].includes((await rpc().request(RPC.router.generationGet, { orgId, id: c.id })).status) ? true : undefined));
    return c.id;
  }
  const rankings = () => rpc().request(RPC.router.rankings, { windowHours: 1, limit: 100 });

  it('ranks apps per org by referer origin or title, completed generations only, from the minimum count on; never a path or query', async () => {
    // org_a's app, identified by its origin (two titles over time: the latest names it); the query's token is never stored.
    await generation('org_a', { title: 'Cat Studio', referer: 'https://Cats.Example/editor?session_token=s3cr3t#x' });
    await generation('org_a', { title: 'Cat Studio 2', referer: 'https://user:pw@cats.example/other/page' });
    await generation('org_a', { title: 'Cat Studio 2', referer: 'https://cats.example/' }, 'failed'); // not counted
    await generation('org_a', { title: 'Cat Studio 2', referer: 'https://cats.example/' }, 'running'); // not counted
    // A referer alone is an app too.
    await generation('org_a', { referer: 'https://dogs.example/a?b=c' });
    await generation('org_a', { referer: 'https://dogs.example/z' });
    // Another org with the same title is another app; a title only once is below the minimum.
    await generation('org_b', { title: 'cat studio' });
    await generation('org_b', { title: 'Cat Studio' });
    await generation('org_b', { title: 'Lonely App' });
    // Hostile titles are sanitised (bidi override, zero-width, control characters) and capped.
    const long = `\u202eEvil\u200b\u0007 ${'x'.repeat(300)}`;
    await generation('org_c', { title: long });
    await generation('org_c', { title: long });

    const r = await rankings();
    expect(r).toMatchObject({ object: 'list', has_more: false, next_cursor: null, window_hours: 1, min_generations: 2 });
    const apps = r.data.map((a: any) => [a.app, a.title, a.origin, a.generations]);
    expect(apps).toEqual(expect.arrayContaining([
      ['Cat Studio 2', 'Cat Studio 2', 'https://cats.example', 2],
      ['dogs.example', null, 'https://dogs.example', 2],
      [expect.stringMatching(/^cat studio$/i), expect.stringMatching(/^cat studio$/i), null, 2],
    ]));
    expect(apps.find((a: any[]) => a[0] === 'Lonely App')).toBeUndefined();
    const evil = r.data.find((a: any) => a.app.startsWith('Evil'));
    expect(evil?.app).toMatch(/^Evil x+$/);
    expect([...evil!.app].length).toBeLessThanOrEqual(APP_TITLE_MAX_LENGTH);
    expect(r.data).toHaveLength(4);
    const text = JSON.stringify(r);
    expect(text).not.toMatch(/session_token|s3cr3t|editor|user:pw|org_/);
    // Not even stored: the referer column holds origins only.
    const stored = await svc.ctx.ds.query(`SELECT DISTINCT referer FROM generations WHERE referer IS NOT NULL ORDER BY 1`);
    expect(stored.map((x: any) => x.referer)).toEqual(['https://cats.example', 'https://dogs.example']);
  });

  it('an org can opt out (at once, its past generations included) and back in', async () => {
    expect(await rpc().request(RPC.router.rankingsSettingsGet, { orgId: 'org_a' })).toEqual({ object: 'rankings_settings', opt_out: false, opted_out_at: null });
    const out = await rpc().request(RPC.router.rankingsSettingsUpdate, { orgId: 'org_a', optOut: true });
    expect(out).toEqual({ object: 'rankings_settings', opt_out: true, opted_out_at: expect.any(Number) });
    expect((await rankings()).data.map((a: any) => a.origin)).not.toContain('https://cats.example');
    expect((await rankings()).data.length).toBe(2);
    await rpc().request(RPC.router.rankingsSettingsUpdate, { orgId: 'org_a', optOut: false });
    expect((await rankings()).data.map((a: any) => a.origin)).toContain('https://cats.example');
  });
});
