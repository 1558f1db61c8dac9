/**
 * The router on a real PostgreSQL with the in-process transport; billing and providers are stand-ins
 * registered on the bus (their own services are tested on their own, and together end to end).
 */
import { BROADCASTS, DomainError, ErrorCode, EVENTS, RPC, type ResponseRequest } from '@pipevideo/contracts';
import { createInProcessWiring, createTestDatabase, InProcessWiring, recordStatements, TestDatabase } from '@pipevideo/platform';
import { serve } from './support/stand-in';
import { startRouterService } from '../src/service';
import { GenerationStore } from '../src/generations/generation.store';


jest.setTimeout(30_000);

describe('router lifecycle', () => {
  let db: TestDatabase;
  let w: InProcessWiring;
  let svc: Awaited<ReturnType<typeof startRouterService>>;
  const holds: any[] = [];
  const submits: any[] = [];
  const finished: any[] = [];
  const released: any[] = [];
  const tokenCharges: any[] = [];
  let available = 10_000;
  /**
   * Off: `available` is a threshold each hold is compared with. On: a balance, which every open hold
   * reduces until `billing.hold.release` gives it back (the release events are only recorded: billing's
   * consumer may get to them after the next hold, so a test passes only when the router released first).
   */
  let ledger: { open: Map<string, number> } | undefined;
  /** `billing.hold.release` requests, and every hold request, in the order they came. */
  const billingCalls: Array<{ op: 'place' | 'release'; holdId: string }> = [];
  /** Runs first in the stand-ins of `billing.hold.release` and `billing.hold.place` (throw: billing unreachable). */
  let releaseBehaviour: (msg: any) => void = () => undefined;
  let placeBehaviour: (msg: any) => void = () => undefined;
  /** Orgs that brought their own fal key (what providers.keys.active answers). */
  const byokOrgs = new Set<string>();
  const keyLookups: string[] = [];
  let submitBehaviour: (msg: any) => any = () => ({ ok: true, providerJobId: 'job', mode: 'callback' });

  beforeAll(async () => {
    db = await createTestDatabase();
    w = createInProcessWiring();
    serve(w, RPC.billing.balanceGet, () => ({ balance_cents: available, held_cents: 0, available_cents: available, owed_cents: 0 }));
    serve(w, RPC.billing.holdRelease, (d) => {
      billingCalls.push({ op: 'release', holdId: d.holdId });
      releaseBehaviour(d);
      return { released: !!ledger?.open.delete(d.holdId) };
    });
    serve(w, RPC.billing.holdPlace, (d) => {
      billingCalls.push({ op: 'place', holdId: d.holdId });
      placeBehaviour(d);
      if (ledger) {
        const free = available - [...ledger.open.values()].reduce((a, b) => a + b, 0);
        const balance = { balance_cents: available, held_cents: available - free, available_cents: free, owed_cents: 0 };
        if (d.amountCents > free) return { outcome: 'insufficient' as const, message: 'Insufficient balance', availableCents: free, owedCents: 0, balance };
        ledger.open.set(d.holdId, d.amountCents);
        holds.push(d);
        return { outcome: 'placed' as const, holdId: d.holdId, amountCents: d.amountCents, balance };
      }
      const balance = { balance_cents: available, held_cents: 0, available_cents: available, owed_cents: 0 };
      if (d.keyLimitCents !== undefined && d.amountCents > d.keyLimitCents) {
        return { outcome: 'key_limit' as const, message: `Key spend limit reached: key ${d.keyId} may spend ${d.keyLimitCents} cents per day`, keyLimit: { limitCents: d.keyLimitCents, spentCents: 0, resetsAt: null } };
      }
      if (d.amountCents > available) return { outcome: 'insufficient' as const, message: 'Insufficient balance', availableCents: available, owedCents: 0, balance };
      holds.push(d);
      return { outcome: 'placed' as const, holdId: d.holdId, amountCents: d.amountCents, balance };
    });
    serve(w, RPC.providers.jobSubmit, (d) => {
      submits.push(d);
      return submitBehaviour(d);
    });
    serve(w, RPC.providers.jobCancel, () => ({ cancelled: true }));
    serve(w, RPC.providers.keyActive, (d) => {
      keyLookups.push(d.orgId);
      return { providers: byokOrgs.has(d.orgId) ? ['fal' as const] : [] };
    });
    serve(w, RPC.billing.tokenCharge, (d) => {
      tokenCharges.push(d);
      return {
        responseId: d.responseId, holdId: d.holdId ?? null, chargedCents: d.amountCents, writtenOffCents: 0, releasedCents: 0,
        duplicate: tokenCharges.filter((c) => c.responseId === d.responseId).length > 1, balance: { balance_cents: 0, held_cents: 0, available_cents: 0, owed_cents: 0 },
      };
    });
    await w.events.subscribe('test-observer', [EVENTS.generationFinished, EVENTS.holdReleaseRequested], async (s, p) => {
      (s === EVENTS.generationFinished ? finished : released).push(JSON.parse(p));
    });
    svc = await startRouterService({
      messaging: { kind: 'inprocess', wiring: w },
      databaseUrl: db.url,
      port: 0,
      config: { callbackTimeoutMs: 1500, pollTimeoutMs: 1500, sweepIntervalMs: 100, dispatchLeaseMs: 1000, configuredProviders: ['fal', 'replicate', 'vercel-gateway', 'framerate'] },
    });
  });
  afterEach(() => {
    available = 10_000;
    ledger = undefined;
    releaseBehaviour = () => undefined;
    placeBehaviour = () => undefined;
    submitBehaviour = () => ({ ok: true, providerJobId: 'job', mode: 'callback' });
  });
  afterAll(async () => {
    await svc?.close();
    await db?.drop();
  });

  const rpc = () => svc.ctx.messaging.rpc;
  const create = (request: any) => rpc().request(RPC.router.generationCreate, { orgId: 'org_a', request: { prompt: 'a cat', ...request } });
  const get = (id: string, orgId = 'org_a') => rpc().request(RPC.router.generationGet, { orgId, id });
  const until = async <T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const v = await fn();
      if (v) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('timeout');
  };
  /**
   * Publishes as the providers' outbox would: again until the router has taken it (a handler may refuse
   * it for now — e.g. an outcome that arrives before the submission is recorded — and the outbox retries).
   */
  const deliver = async (subject: string, eventId: string, payload: Record<string, unknown>) => {
    for (let tries = 1; ; tries++) {
      try {
        return await w.events.publish(subject, eventId, JSON.stringify({ v: 1, eventId, ...payload }));
      } catch (err) {
        if (tries >= 50) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const finishEvt = (d: any, outcome: string, extra: any = {}) =>
    deliver(EVENTS.providerJobFinished, `evt-${d.generationId}-${d.attempt}-${outcome}`, {
      generationId: d.generationId, attempt: d.attempt, provider: d.provider, providerJobId: 'job', outcome, outputUrl: 'https://cdn/x.mp4', ...extra,
    });

  it('creates pending, holds, submits, completes once on a duplicated callback, and captures the route price', async () => {
    submitBehaviour = () => ({ ok: true, providerJobId: 'job', mode: 'callback' });
    const c = await create({ models: ['google/veo-3.1'], duration: 6 });
    expect(c).toMatchObject({ status: 'pending', model: 'google/veo-3.1' });
    const sub = await until(async () => submits.find((s) => s.generationId === c.id));
    await until(async () => ((await get(c.id)).status === 'processing' ? true : undefined)); // recorded right after the submit answer
    await finishEvt(sub, 'succeeded');
    await finishEvt({ ...sub }, 'succeeded'); // same event id: de-duplicated
    await deliver(EVENTS.providerJobFinished, 'another-id', { generationId: c.id, attempt: sub.attempt, outcome: 'succeeded', outputUrl: 'x' });
    const g = await until(async () => ((await get(c.id)).status === 'completed' ? get(c.id) : undefined));
    expect(g.cost_cents).toBe(holds.find((h) => h.generationId === c.id).amountCents);
    expect(g.provider).toBeDefined();
    // generation.finished leaves through the outbox after the commit: wait for it, then make sure it came once.
    await until(async () => finished.find((f) => f.generationId === c.id));
    await new Promise((r) => setTimeout(r, 200));
    expect(finished.filter((f) => f.generationId === c.id)).toHaveLength(1);
    expect(finished.find((f) => f.generationId === c.id)).toMatchObject({ succeeded: true, holdId: `${c.id}:1`, costCents: g.cost_cents });
    await expect(get(c.id, 'org_b')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a create costs the router two SQL statements until its job runs: the generation with its first attempt, then the submission', async () => {
    // Every statement the router sends, with the query runner that sent it (one per ds.query call or transaction).
    const recording = recordStatements(svc.ctx.ds);
    const sent = recording.sent;
    try {
      const c = await create({ models: ['google/veo-3.1'], duration: 6 });
      await until(async () => ((await get(c.id)).status === 'processing' ? true : undefined));
      const mentions = (p: unknown[]) => p.some((v) => typeof v === 'string' && v.includes(c.id));
      const isPoll = (q: { query: string }) => /^\s*SELECT g\.id, g\.api/.test(q.query);
      // Prepared statements run without a TypeORM query runner (platform rows(…, prepared)): each is its own unit.
      const runners = new Set(sent.filter((q) => q.runner && mentions(q.params) && !isPoll(q)).map((q) => q.runner));
      // Whole units of work that wrote this generation, with their BEGIN/COMMIT if any.
      const statements = sent
        .filter((q) => (q.runner ? runners.has(q.runner) : mentions(q.params) && !isPoll(q)))
        .map((q) => q.query.trim().split(/\s+/).slice(0, 4).join(' '));
      expect(statements).toEqual([expect.stringMatching(/^SELECT \* FROM create_generation/), expect.stringMatching(/^WITH input AS \(/)]);
      const [attempt] = await svc.ctx.ds.query(`SELECT attempt, hold_id, hold_cents, provider_job_id FROM generation_attempts WHERE generation_id = $1`, [c.id]);
      expect(attempt).toMatchObject({ attempt: 1, hold_id: `${c.id}:1`, provider_job_id: 'job' });
      expect(attempt.hold_cents).toBe(holds.find((h) => h.generationId === c.id).amountCents);
    } finally {
      recording.stop();
    }
  });

  it("an org's own keys are asked once and kept until provider_keys.changed says they changed", async () => {
    const createAs = () => rpc().request(RPC.router.generationCreate, { orgId: 'org_keys', request: { prompt: 'a wren', models: ['google/veo-3.1'], duration: 6, provider: { only: ['fal'] } } });
    const byokOf = async (id: string) => (await until(async () => submits.find((s) => s.generationId === id))).byok === true;
    const asked = () => keyLookups.filter((o) => o === 'org_keys').length;
    expect(await byokOf((await createAs()).id)).toBe(false);
    expect(await byokOf((await createAs()).id)).toBe(false);
    expect(asked()).toBe(1);
    byokOrgs.add('org_keys');
    try {
      w.bus.broadcast(BROADCASTS.providerKeysChanged, JSON.stringify({ v: 1, orgId: 'org_keys' }));
      await new Promise((r) => setTimeout(r, 50));
      expect(await byokOf((await createAs()).id)).toBe(true);
      expect(asked()).toBe(2);
    } finally {
      byokOrgs.delete('org_keys');
    }
  });

  it('bring your own key: a route whose provider the org has its own key for holds and captures only the fee, and says so to providers and billing', async () => {
    byokOrgs.add('org_byok');
    try {
      const createAs = (orgId: string, provider: string) =>
        rpc().request(RPC.router.generationCreate, { orgId, request: { prompt: 'a heron', models: ['google/veo-3.1'], duration: 6, provider: { only: [provider] } } });
      const complete = async (id: string) => {
        const sub = await until(async () => submits.find((x) => x.generationId === id));
        await until(async () => ((await get(id, sub.orgId)).status === 'processing' ? true : undefined));
        await finishEvt(sub, 'succeeded');
        await until(async () => finished.find((f) => f.generationId === id));
        return sub;
      };
      // On fal (the org's key): the default fee (1 cent) is held, submitted with byok, captured, flagged.
      const own = await createAs('org_byok', 'fal');
      const ownSubmit = await complete(own.id);
      expect(ownSubmit).toMatchObject({ provider: 'fal', orgId: 'org_byok', byok: true });
      expect(holds.find((h) => h.generationId === own.id).amountCents).toBe(1);
      expect(finished.find((f) => f.generationId === own.id)).toMatchObject({ succeeded: true, costCents: 1, byok: true });
      expect((await get(own.id, 'org_byok')).cost_cents).toBe(1);
      // On Replicate (no key there): the list price, no byok.
      const other = await createAs('org_byok', 'replicate');
      const otherSubmit = await complete(other.id);
      expect(otherSubmit.byok).toBeUndefined();
      const price = holds.find((h) => h.generationId === other.id).amountCents;
      expect(price).toBeGreaterThan(1);
      expect(finished.find((f) => f.generationId === other.id)).toMatchObject({ costCents: price, byok: false });
      // Another org on fal: never the first org's key.
      const stranger = await createAs('org_a', 'fal');
      expect((await complete(stranger.id)).byok).toBeUndefined();
      expect(finished.find((f) => f.generationId === stranger.id)).toMatchObject({ byok: false });
      expect(finished.find((f) => f.generationId === stranger.id).costCents).toBeGreaterThan(1);
    } finally {
      byokOrgs.delete('org_byok');
    }
  });

  it("an org's own key refused falls back to the next route without counting against the route every other org shares", async () => {
    byokOrgs.add('org_revoked');
    // The org revoked its key at fal: every submit on it is refused (what the providers service answers, ownKey).
    submitBehaviour = (d) =>
      d.byok
        ? { ok: false, kind: 'down', retryable: true, message: "the organization's own fal key was refused: fal submit rejected our credentials", ownKey: true }
        : { ok: true, providerJobId: 'job', mode: 'callback' };
    const createAs = (orgId: string) =>
      rpc().request(RPC.router.generationCreate, { orgId, request: { prompt: 'a lynx', models: ['google/veo-3.1'], duration: 6, provider: { order: ['fal', 'replicate'] } } });
    const submitsOf = (id: string) => submits.filter((s) => s.generationId === id);
    // Which routes' breakers the submits went through.
    const through = jest.spyOn(svc.engine.breakers, 'run');
    try {
      // More refusals than the breaker's volume threshold (5), all of them failures: a route failure would open it.
      for (let i = 0; i < 8; i++) {
        const c = await createAs('org_revoked');
        await until(async () => (submitsOf(c.id).length === 2 ? true : undefined));
        expect(submitsOf(c.id).map((s) => [s.provider, s.byok === true])).toEqual([['fal', true], ['replicate', false]]);
        await until(async () => ((await get(c.id, 'org_revoked')).status === 'processing' ? true : undefined));
      }
      // The attempts on the org's key bypassed fal's breaker (a refusal counted as a success could close a
      // half-open one); the fallbacks on the platform's key went through Replicate's.
      const routes = through.mock.calls.map(([routeId]) => routeId);
      expect(routes.filter((r) => r.endsWith('@fal'))).toEqual([]);
      expect(routes.filter((r) => r.endsWith('@replicate'))).toHaveLength(8);
      // fal stays closed and first for everyone else.
      const metrics = await svc.ctx.metrics.scrape();
      expect(metrics).not.toMatch(/pipevideo_circuit_breaker_state\{route="[^"]*fal[^"]*",state="open"[^}]*\} 1/);
      expect(metrics).toMatch(/pipevideo_route_fallbacks_total\{reason="own_key",service="router"\} ([8-9]|\d\d)/);
      const other = await createAs('org_a');
      await until(async () => (submitsOf(other.id).length ? true : undefined));
      expect(submitsOf(other.id).map((s) => s.provider)).toEqual(['fal']);
    } finally {
      through.mockRestore();
      byokOrgs.delete('org_revoked');
    }
  });

  it('a callback that arrives before the submit call returns is applied once the submission is recorded', async () => {
    let early: Promise<void> | undefined;
    submitBehaviour = async (d) => {
      // The provider calls back at once: its outcome reaches the router before this reply does.
      early = finishEvt(d, 'succeeded');
      await new Promise((r) => setTimeout(r, 30)); // the first delivery has run by now (and must not be dropped)
      return { ok: true, providerJobId: 'job-early', mode: 'callback' };
    };
    try {
      const c = await create({ models: ['google/veo-3.1'] });
      const g = await until(async () => {
        const x = await get(c.id);
        return x.status === 'completed' || x.status === 'failed' ? x : undefined;
      });
      expect(g.status).toBe('completed');
      await early;
      await until(async () => finished.find((f) => f.generationId === c.id)); // relayed from the outbox
      expect(finished.filter((f) => f.generationId === c.id)).toEqual([expect.objectContaining({ succeeded: true, holdId: `${c.id}:1`, costCents: g.cost_cents })]);
    } finally {
      submitBehaviour = () => ({ ok: true, providerJobId: 'job', mode: 'callback' });
    }
  });

  it('falls back to the next route on a retryable error and releases the first hold', async () => {
    submitBehaviour = (d) => (d.attempt === 1 ? { ok: false, kind: 'down', retryable: true, message: '503' } : { ok: true, providerJobId: 'j2', mode: 'poll' });
    const c = await create({ models: ['google/veo-3.1'] });
    const second = await until(async () => submits.find((s) => s.generationId === c.id && s.attempt === 2));
    expect(second.provider).not.toBe(submits.find((s) => s.generationId === c.id && s.attempt === 1).provider);
    await until(async () => released.find((r) => r.holdId === `${c.id}:1`));
    const g = await get(c.id);
    expect(g.attempts.map((a: any) => [a.outcome, a.error_code])).toEqual([['failed', 'provider_unavailable'], ['in_progress', null]]);
    // The list shows the same attempts as the poll.
    const listed = (await rpc().request(RPC.router.generationList, { orgId: 'org_a', limit: 100 })).data.find((x: any) => x.id === c.id);
    expect(listed?.attempts).toEqual(g.attempts);
  });

  it('a cancel during a fallback after a provider\'s failure releases the hold of the attempt running now, not the released one before it', async () => {
    let answerSecond!: (r: unknown) => void;
    submitBehaviour = (d) => (d.attempt === 1 ? { ok: true, providerJobId: 'j1', mode: 'callback' } : new Promise((r) => (answerSecond = r)));
    const c = await create({ models: ['google/veo-3.1'] });
    const first = await until(async () => submits.find((s) => s.generationId === c.id && s.attempt === 1));
    await until(async () => ((await get(c.id)).status === 'processing' ? true : undefined));
    // The provider fails attempt 1 (retryable): the router releases its hold and moves on to attempt 2.
    await finishEvt(first, 'failed', { errorKind: 'server_error', errorMessage: 'upstream 500' });
    await until(async () => submits.find((s) => s.generationId === c.id && s.attempt === 2));
    await until(async () => released.find((r) => r.holdId === `${c.id}:1`));
    // The customer deletes the video while attempt 2's submit is on its way.
    await rpc().request(RPC.router.videoDelete, { orgId: 'org_a', id: c.id });
    const ended = await until(async () => finished.find((f) => f.generationId === c.id));
    expect(ended).toMatchObject({ status: 'cancelled', holdId: `${c.id}:2`, costCents: 0 });
    answerSecond({ ok: true, providerJobId: 'j2', mode: 'callback' });
  });

  it('when every route fails, the customer reads our sentence and code; route ids and upstream words stay in the attempts and logs', async () => {
    submitBehaviour = (d) => ({ ok: false, kind: d.attempt === 1 ? 'down' : 'rate_limited', retryable: true, message: `upstream said: quota for key sk_live_123 exhausted (${d.provider})` });
    const c = await create({ models: ['google/veo-3.1'] });
    const g = await until(async () => ((await get(c.id)).status === 'failed' ? get(c.id) : undefined));
    expect(g).toMatchObject({ error_code: 'provider_rate_limited', error_message: expect.stringMatching(/^Provider submission failed: /) });
    expect(JSON.stringify(g)).not.toMatch(/vercel-gateway|sk_live|upstream said|@/);
    expect(g.attempts.map((a: any) => a.provider)).toEqual(expect.arrayContaining(['pipevideo']));
    const rows = await svc.ctx.ds.query(`SELECT route_id, error_message FROM generation_attempts WHERE generation_id = $1 ORDER BY attempt`, [c.id]);
    expect(rows.map((r: any) => r.error_message)).toEqual(rows.map(() => expect.stringMatching(/^upstream said/)));
    expect(rows.map((r: any) => r.route_id)).toEqual(expect.arrayContaining([expect.stringMatching(/@vercel-gateway$/)]));
    const evt = await until(async () => finished.find((f) => f.generationId === c.id)); // relayed from the outbox
    expect(evt.resource).toEqual(g); // the webhook's object is the poll's
  });

  it('a bad request from the provider is final and refunds', async () => {
    submitBehaviour = () => ({ ok: false, kind: 'bad_request', retryable: false, message: 'prompt too long' });
    const c = await create({ models: ['google/veo-3.1', 'kling/3.0-pro'] });
    const g = await until(async () => ((await get(c.id)).status === 'failed' ? get(c.id) : undefined));
    expect(g.error_message).toMatch(/^Provider submission failed: /);
    expect(g.error_code).toBe('invalid_request');
    expect(g.attempts).toEqual([expect.objectContaining({ outcome: 'rejected', error_code: 'invalid_request' })]);
    expect(submits.filter((s) => s.generationId === c.id)).toHaveLength(1);
    // generation.finished leaves through the outbox after the commit.
    expect(await until(async () => finished.find((f) => f.generationId === c.id))).toMatchObject({ succeeded: false, holdId: `${c.id}:1` });
  });

  it('moderation after acceptance moves on to the next model', async () => {
    submitBehaviour = () => ({ ok: true, providerJobId: 'j', mode: 'callback' });
    const c = await create({ models: ['wan/2.5', 'kling/3.0-pro'] });
    const first = await until(async () => submits.find((s) => s.generationId === c.id));
    await finishEvt(first, 'failed', { errorKind: 'moderation', errorMessage: 'content policy' });
    const next = await until(async () => submits.find((s) => s.generationId === c.id && s.attempt > first.attempt && s.providerModelId !== first.providerModelId && !s.providerModelId.includes('wan')));
    await finishEvt(next, 'succeeded');
    const g = await until(async () => ((await get(c.id)).status === 'completed' ? get(c.id) : undefined));
    expect(g.model).toBe('kling/3.0-pro');
  });

  it('a provider that never calls back ends failed after the timeout, refunded; a late callback changes nothing', async () => {
    submitBehaviour = () => ({ ok: true, providerJobId: 'j', mode: 'callback' });
    const c = await create({ models: ['google/veo-3.1'] });
    const sub = await until(async () => submits.find((s) => s.generationId === c.id));
    const g = await until(async () => ((await get(c.id)).status === 'failed' ? get(c.id) : undefined));
    expect(g.error_message).toBe('Provider callback timed out');
    await finishEvt(sub, 'succeeded');
    await until(async () => finished.find((f) => f.generationId === c.id)); // relayed from the outbox
    await new Promise((r) => setTimeout(r, 200));
    expect((await get(c.id)).status).toBe('failed');
    expect(finished.filter((f) => f.generationId === c.id)).toHaveLength(1);
  });

  it('the hold is the balance check: a create the org cannot afford is a 400 and leaves nothing behind', async () => {
    available = 1; // positive, but below any route's price
    const before = (await rpc().request(RPC.router.generationList, { orgId: 'org_a', limit: 100 })).data.length;
    const submitsBefore = submits.length;
    await expect(create({ models: ['google/veo-3.1'] })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^Insufficient balance.*Add credits, then retry\.$/) });
    expect((await rpc().request(RPC.router.generationList, { orgId: 'org_a', limit: 100 })).data.length).toBe(before);
    expect(submits.length).toBe(submitsBefore);
    available = 10_000;
  });

  it('Responses: a create whose token hold the org cannot cover is a 400 at once, and nothing is stored', async () => {
    available = 1; // below the smallest possible token hold of a long input
    const before = (await rpc().request(RPC.router.generationList, { orgId: 'org_a', limit: 100 })).data.length;
    const submitsBefore = submits.length;
    await expect(
      rpc().request(RPC.router.responseCreate, { orgId: 'org_a', request: { model: 'moonshotai/kimi-k2.5', input: 'x'.repeat(60_000) } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^Insufficient balance/) });
    expect(submits.length).toBe(submitsBefore);
    expect((await rpc().request(RPC.router.generationList, { orgId: 'org_a', limit: 100 })).data.length).toBe(before);
    available = 10_000;
  });

  it('a later, cheaper model of models[] runs when the first cannot be afforded; its hold is placed before the create answers', async () => {
    submitBehaviour = () => ({ ok: true, providerJobId: 'job', mode: 'callback' });
    available = 60; // veo-3.1 at 8 s costs 160+ on every route; wan/2.5 at 5 s costs 45–60
    const c = await create({ models: ['google/veo-3.1', 'wan/2.5'] });
    const held = holds.filter((h) => h.generationId === c.id);
    expect(held).toEqual([expect.objectContaining({ holdId: `${c.id}:4` })]); // placed before the create answered
    expect(held[0].amountCents).toBeLessThanOrEqual(60);
    const sub = await until(async () => submits.find((s) => s.generationId === c.id));
    expect(sub).toMatchObject({ providerModelId: expect.stringContaining('wan'), params: expect.objectContaining({ duration: 5, withAudio: false }) });
    const g = await get(c.id);
    expect(g.attempts.map((a: any) => [a.model, a.outcome])).toEqual([
      ['google/veo-3.1', 'reservation_failed'], ['google/veo-3.1', 'reservation_failed'], ['google/veo-3.1', 'reservation_failed'], ['wan/2.5', expect.any(String)],
    ]);
    available = 10_000;
  });

  it('a fallback re-holds for its route; only when no later route can be afforded does "Reservation failed" end the generation', async () => {
    submitBehaviour = (d) => {
      available = 1; // the first route took the last credits' worth of hold, then failed upstream
      return { ok: false, kind: 'down', retryable: true, message: `${d.provider} down` };
    };
    const c = await create({ models: ['google/veo-3.1'], duration: 6 });
    const g = await until(async () => ((await get(c.id)).status === 'failed' ? get(c.id) : undefined));
    expect(g.error_message).toMatch(/^Reservation failed: Insufficient balance/);
    expect(submits.filter((s) => s.generationId === c.id)).toHaveLength(1);
    expect(released.map((r) => r.holdId)).toContain(`${c.id}:1`);
    available = 10_000;
  });

  it("a fallback releases the failed route's hold before it holds for the next route: an org that can afford one route at a time still runs", async () => {
    // veo-3.1 at 6 s: 120 cents on its first route, more on the next ones; the org can pay for one of them.
    ledger = { open: new Map() };
    available = 150;
    submitBehaviour = (d) => (d.attempt === 1 ? { ok: false, kind: 'down', retryable: true, message: `${d.provider} down` } : { ok: true, providerJobId: 'job', mode: 'callback' });
    const c = await create({ models: ['google/veo-3.1'], duration: 6 });
    const sub = await until(async () => submits.find((s) => s.generationId === c.id && s.attempt === 2));
    expect(sub.provider).not.toBe(submits.find((s) => s.generationId === c.id && s.attempt === 1).provider);
    expect(billingCalls.filter((b) => b.holdId.startsWith(c.id))).toEqual([
      { op: 'place', holdId: `${c.id}:1` }, { op: 'release', holdId: `${c.id}:1` }, { op: 'place', holdId: `${c.id}:2` },
    ]);
    expect([...ledger.open.keys()]).toEqual([`${c.id}:2`]);
    // The outbox event (its backstop) is still written: billing applies whichever comes first, once.
    await until(async () => released.find((r) => r.holdId === `${c.id}:1`));
    expect(await svc.ctx.metrics.scrape()).toMatch(/pipevideo_fallback_hold_releases_total\{outcome="released",service="router"\} [1-9]/);

    // The same when the provider fails the job after accepting it (the completion starts the fallback).
    ledger.open.clear(); // the first generation's hold, set aside
    submitBehaviour = (d) => ({ ok: true, providerJobId: `job-${d.attempt}`, mode: 'callback' });
    const d = await create({ models: ['google/veo-3.1'], duration: 6 });
    const first = await until(async () => submits.find((s) => s.generationId === d.id && s.attempt === 1));
    await until(async () => ((await get(d.id)).status === 'processing' ? true : undefined));
    await finishEvt(first, 'failed', { errorKind: 'server_error', errorMessage: 'upstream crashed', outputUrl: undefined });
    await until(async () => submits.find((s) => s.generationId === d.id && s.attempt === 2));
    expect(billingCalls.filter((b) => b.holdId.startsWith(d.id))).toEqual([
      { op: 'place', holdId: `${d.id}:1` }, { op: 'release', holdId: `${d.id}:1` }, { op: 'place', holdId: `${d.id}:2` },
    ]);
  });

  it("a billing blip during a fallback: the attempt stays open on its route; the next drive asks again for every closed attempt's hold, then resumes it", async () => {
    ledger = { open: new Map() };
    available = 200; // one veo-3.1 route at 6 s at a time, not two
    let releaseFails = 1;
    let placeFails = 0;
    // What the router's NATS client answers when billing does not reply in time.
    const unreachable = () => new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'billing did not answer (simulated)');
    releaseBehaviour = () => {
      if (releaseFails-- > 0) throw unreachable();
    };
    placeBehaviour = (d) => {
      if (d.holdId.endsWith(':2') && placeFails++ === 0) throw unreachable();
    };
    submitBehaviour = (d) => (d.attempt === 1 ? { ok: false, kind: 'down', retryable: true, message: `${d.provider} down` } : { ok: true, providerJobId: 'job', mode: 'callback' });
    const c = await create({ models: ['google/veo-3.1'], duration: 6 });
    // Attempt 1 fails upstream and its release does not get through; placing attempt 2's hold fails too
    // (the drive stops, attempt 2 left open on the second route); the sweeper's drive releases attempt 1's
    // hold first, then resumes attempt 2 on the same route under the same hold — no route used up by the blip.
    const sub = await until(async () => submits.find((s) => s.generationId === c.id && s.attempt === 2));
    const g = await until(async () => ((await get(c.id)).status === 'processing' ? get(c.id) : undefined));
    expect(g.attempts.map((a: any) => a.outcome)).toEqual(['failed', 'in_progress']);
    expect(sub.provider).not.toBe(submits.find((s) => s.generationId === c.id && s.attempt === 1).provider);
    expect([...ledger.open.keys()]).toEqual([`${c.id}:2`]);
    expect(submits.filter((s) => s.generationId === c.id).map((s) => s.attempt)).toEqual([1, 2]);
  });

  it("a re-drive does not ask billing again for a hold it had released (our-side retries of the next attempt)", async () => {
    let ourSide = 2;
    submitBehaviour = (d) => {
      if (d.attempt === 1) return { ok: false, kind: 'down', retryable: true, message: `${d.provider} down` };
      if (ourSide-- > 0) throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'providers did not answer (simulated)');
      return { ok: true, providerJobId: 'job', mode: 'callback' };
    };
    const c = await create({ models: ['google/veo-3.1'], duration: 6 });
    await until(async () => ((await get(c.id)).status === 'processing' ? true : undefined), 20_000);
    expect(submits.filter((s) => s.generationId === c.id).map((s) => s.attempt)).toEqual([1, 2, 2, 2]);
    expect(billingCalls.filter((b) => b.op === 'release' && b.holdId === `${c.id}:1`)).toHaveLength(1);
  }, 30_000);

  it('our own refusal closes its attempt and fails the generation in one transaction: a failed finish leaves the attempt open for the sweeper, never a hold without a release', async () => {
    submitBehaviour = () => ({ ok: false, kind: 'bad_request', retryable: false, message: 'cannot map these parameters' });
    const store = svc.engine.store as GenerationStore;
    const realFinish = store.finish.bind(store);
    let failOnce = true;
    store.finish = async (id, f, m) => {
      if (failOnce && f.errorCode === 'invalid_request') {
        failOnce = false;
        throw new Error('connection terminated (simulated)');
      }
      return realFinish(id, f, m);
    };
    try {
      const c = await create({ models: ['google/veo-3.1'], duration: 6 });
      const g = await until(async () => ((await get(c.id)).status === 'failed' ? get(c.id) : undefined));
      expect(g.error_code).toBe('invalid_request');
      expect(failOnce).toBe(false);
      // The sweeper re-drove it: the same attempt again (refused again), never a fallback to another route.
      expect(g.attempts.map((a: any) => a.outcome)).toEqual(['rejected']);
      expect(new Set(submits.filter((s) => s.generationId === c.id).map((s) => s.attempt))).toEqual(new Set([1]));
      // The finish names the attempt's hold: billing releases it.
      const evt = await until(async () => finished.find((f) => f.generationId === c.id));
      expect(evt.holdId).toBe(`${c.id}:1`);
    } finally {
      store.finish = realFinish;
    }
  });

  it('an input rejection upstream (context length) moves to the next model; our own refusal (bad_request) is final', async () => {
    submitBehaviour = (d) =>
      d.providerModelId.includes('veo') ? { ok: false, kind: 'input_rejected', retryable: true, message: 'prompt too long for this model' } : { ok: true, providerJobId: 'job', mode: 'callback' };
    const c = await create({ models: ['google/veo-3.1', 'kling/3.0-pro'], duration: 8 });
    const sub = await until(async () => submits.find((s) => s.generationId === c.id && s.providerModelId.includes('kling')));
    // One veo route tried, not all three: the same input on the same model would be refused again.
    expect(submits.filter((s) => s.generationId === c.id).map((s) => s.providerModelId.includes('veo'))).toEqual([true, false]);
    expect(sub.params.duration).toBe(8);

    submitBehaviour = () => ({ ok: false, kind: 'bad_request', retryable: false, message: 'imageUrl resolves to a private address' });
    const d = await create({ models: ['google/veo-3.1', 'kling/3.0-pro'], duration: 8 });
    const g = await until(async () => ((await get(d.id)).status === 'failed' ? get(d.id) : undefined));
    // Our sentence and a stable code for the customer; the refusal's own words stay in the attempt record (operators).
    expect(g).toMatchObject({ error_code: 'invalid_request', error_message: expect.stringMatching(/^Provider submission failed: /) });
    expect(g.error_message).not.toMatch(/private address/);
    expect(JSON.stringify(g)).not.toMatch(/private address|@/);
    const [attempt] = await svc.ctx.ds.query(`SELECT error_kind, error_message FROM generation_attempts WHERE generation_id = $1`, [d.id]);
    expect(attempt).toEqual({ error_kind: 'bad_request', error_message: 'imageUrl resolves to a private address' });
    expect(submits.filter((s) => s.generationId === d.id)).toHaveLength(1);
    submitBehaviour = () => ({ ok: true, providerJobId: 'job', mode: 'callback' });
  });

  it('the API key and its spend limit travel with every hold; a hold the key limit refuses is a 400 that names it (no "Add credits")', async () => {
    const ok = await rpc().request(RPC.router.generationCreate, {
      orgId: 'org_a', request: { prompt: 'a cat', models: ['google/veo-3.1'] }, keyId: 'key_big', keyLimit: { limitCents: 100_000, reset: 'daily' },
    });
    expect(holds.find((h) => h.generationId === ok.id)).toMatchObject({ keyId: 'key_big', keyLimitCents: 100_000, keyLimitReset: 'daily' });
    const noLimit = await rpc().request(RPC.router.generationCreate, { orgId: 'org_a', request: { prompt: 'a cat', models: ['google/veo-3.1'] }, keyId: 'key_free' });
    const h = holds.find((x) => x.generationId === noLimit.id);
    expect(h).toMatchObject({ keyId: 'key_free' });
    expect(h.keyLimitCents).toBeUndefined();
    const before = submits.length;
    await expect(
      rpc().request(RPC.router.generationCreate, { orgId: 'org_a', request: { prompt: 'a cat', models: ['google/veo-3.1'] }, keyId: 'key_small', keyLimit: { limitCents: 1, reset: 'daily' } }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^Key spend limit reached: key key_small may spend 1 cents per day\.$/), details: { reason: 'key_limit' } });
    await new Promise((r) => setTimeout(r, 200));
    expect(submits.slice(before).filter((s) => s.generationId !== ok.id && s.generationId !== noLimit.id)).toEqual([]);
  });

  it('two router replicas on one database: every generation times out exactly once', async () => {
    submitBehaviour = () => ({ ok: true, providerJobId: 'j', mode: 'poll' });
    const second = await startRouterService({
      messaging: { kind: 'inprocess', wiring: w },
      databaseUrl: db.url,
      port: 0,
      config: { callbackTimeoutMs: 1500, pollTimeoutMs: 800, sweepIntervalMs: 50, dispatchLeaseMs: 1000, configuredProviders: ['fal', 'replicate', 'vercel-gateway', 'framerate'] },
    });
    try {
      const ids = await Promise.all(Array.from({ length: 20 }, () => create({ models: ['google/veo-3.1'] }).then((c) => c.id as string)));
      for (const id of ids) await until(async () => ((await get(id)).status === 'failed' ? true : undefined));
      await new Promise((r) => setTimeout(r, 300));
      for (const id of ids) expect(finished.filter((f) => f.generationId === id)).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it('fallbacks and route selection are measured', async () => {
    const metrics = await svc.ctx.metrics.scrape();
    expect(metrics).toMatch(/pipevideo_route_fallbacks_total\{reason="down",service="router"\} [1-9]/);
    expect(metrics).toMatch(/pipevideo_route_selection_duration_seconds_count\{service="router"\} [1-9]/);
    expect(metrics).toMatch(/pipevideo_generations_finished_total\{api="video",status="completed",provider="[a-z-]+",model="[^"]+",service="router"\} [1-9]/);
    expect(metrics).toMatch(/pipevideo_generations_finished_total\{api="video",status="failed",/);
    expect(metrics).toContain('pipevideo_circuit_breaker_state');
  });

  it('unknown model and unknown provider are 400 with a message', async () => {
    await expect(create({ models: ['nope/nope'] })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/Model not found/) });
    await expect(create({ models: ['google/veo-3.1'], provider: { order: ['vercel-gateway'] } })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('lists newest first and pages with next_cursor without skipping rows created in the same instant', async () => {
    const orgId = 'org_pager';
    const ids = ['gen_p1', 'gen_p2', 'gen_p3', 'gen_p4', 'gen_p5'];
    // Five rows with one created_at: a time-based "before" page would skip or repeat them.
    for (const id of ids) {
      await svc.ctx.ds.query(
        `INSERT INTO generations (id, org_id, api, status, needs_dispatch, requested_model, request, candidates, created_at)
         VALUES ($1, $2, 'video', 'failed', false, 'google/veo-3.1', '{}', '[]', '2026-11-30 12:00:00.123456+00')`,
        [id, orgId],
      );
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let pageNo = 0; pageNo < 5; pageNo++) {
      const page = await rpc().request(RPC.router.generationList, { orgId, limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.data.map((g: any) => g.id));
      expect(page.has_more).toBe(page.next_cursor !== null);
      if (!page.next_cursor) break;
      cursor = page.next_cursor;
    }
    expect(seen).toEqual([...ids].reverse());
    expect((await rpc().request(RPC.router.generationList, { orgId: 'org_other' })).data).toEqual([]);
    await expect(rpc().request(RPC.router.generationList, { orgId, cursor: 'forged' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/cursor/) });
  });

  it('Responses: the end of the job applied before its usage event still charges the tokens, once', async () => {
    const r = await rpc().request(RPC.router.responseCreate, { orgId: 'org_a', request: { model: 'moonshotai/kimi-k2.5', input: 'a logo reveal' } });
    const sub = await until(async () => submits.find((s) => s.generationId === r.id));
    const usage = { inputTokens: 1200, outputTokens: 800 };
    // The finished event overtakes the usage event (they travel on separate consumers).
    await finishEvt(sub, 'succeeded', { provider: 'framerate', usage });
    const done = await until(async () => {
      const g = await rpc().request(RPC.router.responseGet, { orgId: 'org_a', id: r.id });
      return g.status === 'completed' ? g : undefined;
    });
    // 1200 × $0.6/M + 800 × $3/M = $0.00312 exactly; the ledger charges it as 1 whole cent.
    expect(done.usage).toEqual({ input_tokens: 1200, output_tokens: 800, total_tokens: 2000, cost_usd: 0.00312, charged_cents: 1, estimated: false });
    const fin = await until(async () => finished.find((f) => f.generationId === r.id));
    expect(fin.costCents).toBe(done.usage?.charged_cents);
    // The late usage event changes nothing and charges nothing twice.
    await deliver(EVENTS.providerJobUsageReported, `usage-${r.id}`, { generationId: r.id, attempt: sub.attempt, ...usage });
    await new Promise((res) => setTimeout(res, 300));
    expect(tokenCharges.filter((c) => c.responseId === r.id)).toHaveLength(1);
  });

  it('Responses: usage on its way when the customer cancels is still charged (the orchestration ran), once', async () => {
    const r = await rpc().request(RPC.router.responseCreate, { orgId: 'org_a', request: { model: 'moonshotai/kimi-k2.5', input: 'a title card' } });
    const sub = await until(async () => submits.find((s) => s.generationId === r.id));
    const cancelled = await rpc().request(RPC.router.responseCancel, { orgId: 'org_a', id: r.id });
    expect(cancelled).toMatchObject({ status: 'cancelled', cancelled: true });
    const fin = await until(async () => finished.find((f) => f.generationId === r.id));
    // Billing must not refund a token charge that arrives after the cancel.
    expect(fin.keepTokenCharge).toBe(true);
    const usage = { inputTokens: 900, outputTokens: 100 };
    await deliver(EVENTS.providerJobUsageReported, `usage-${r.id}`, { generationId: r.id, attempt: sub.attempt, ...usage });
    await finishEvt(sub, 'cancelled', { provider: 'framerate', usage });
    expect(tokenCharges.filter((c) => c.responseId === r.id)).toHaveLength(1);
    const after = await rpc().request(RPC.router.responseGet, { orgId: 'org_a', id: r.id });
    expect(after.status).toBe('cancelled');
    expect(after.usage).toMatchObject({ input_tokens: 900, output_tokens: 100 });
  });

  const createResponse = (request: Partial<ResponseRequest>) =>
    rpc().request(RPC.router.responseCreate, { orgId: 'org_a', request: { model: 'moonshotai/kimi-k2.5', input: '', ...request } });
  const responseUntil = (id: string, status: string) =>
    until(async () => {
      const g = await rpc().request(RPC.router.responseGet, { orgId: 'org_a', id });
      return g.status === status ? g : undefined;
    });

  it('Responses: the hold is sized from the input and the output cap, and the cap reaches the provider', async () => {
    submitBehaviour = () => ({ ok: true, providerJobId: 'job', mode: 'callback' });
    const capped = await createResponse({ input: 'x'.repeat(3000), max_output_tokens: 1500 });
    const plain = await createResponse({ input: 'x'.repeat(3000) });
    const big = await createResponse({ input: 'x'.repeat(30_000), instructions: 'y'.repeat(30_000) });
    expect(capped.max_output_tokens).toBe(1500);
    expect(plain.max_output_tokens).toBe(20_000);
    const sub = await until(async () => submits.find((s) => s.generationId === capped.id));
    expect(sub.params).toMatchObject({ engine: 'hyperframes', max_output_tokens: 1500 });
    // No cap in the request: the configured default (PIPEVIDEO_RESPONSES_MAX_OUTPUT_TOKENS, 20000).
    expect((await until(async () => submits.find((s) => s.generationId === plain.id))).params.max_output_tokens).toBe(20_000);
    const holdOf = (id: string) => until(async () => holds.find((h) => h.generationId === id)?.amountCents as number | undefined);
    // input 1,000 overhead + 10 per message + 3,000 bytes / 3 = 2,010 tokens at 60¢/M = 0.12¢; output 1,500 × 300¢/M = 0.45¢ → 1¢
    expect(await holdOf(capped.id)).toBe(1);
    // the same input with 20,000 output tokens: 0.1206 + 6 → 7¢
    expect(await holdOf(plain.id)).toBe(7);
    // 60,000 characters: 1,000 + 20 + 2 × 10,000 = 21,020 input tokens → 1.2612 + 6 → 8¢
    expect(await holdOf(big.id)).toBe(8);
  });

  it('Responses: usage costing more than the hold is charged in full', async () => {
    submitBehaviour = () => ({ ok: true, providerJobId: 'job', mode: 'callback' });
    const r = await createResponse({ input: 'x'.repeat(3000) });
    const sub = await until(async () => submits.find((s) => s.generationId === r.id));
    const hold = holds.find((h) => h.generationId === r.id).amountCents;
    // Far above the estimate and the cap (a provider that ignored it):
    // 45,678 × $0.6/M + 31,234 × $3/M = $0.0274068 + $0.093702 = $0.1211088 → 12.11088¢ → 13¢
    await deliver(EVENTS.providerJobUsageReported, `usage-${r.id}`, { generationId: r.id, attempt: sub.attempt, inputTokens: 45_678, outputTokens: 31_234 });
    const charge = await until(async () => tokenCharges.find((c) => c.responseId === r.id));
    expect(hold).toBe(7);
    expect(charge).toMatchObject({ holdId: `${r.id}:1`, amountCents: 13, inputTokens: 45_678, outputTokens: 31_234 });
    await finishEvt(sub, 'succeeded', { provider: 'framerate' });
    const done = await responseUntil(r.id, 'completed');
    expect(done.usage).toEqual({ input_tokens: 45_678, output_tokens: 31_234, total_tokens: 76_912, cost_usd: 0.121109, charged_cents: 13, estimated: false });
    expect((await until(async () => finished.find((f) => f.generationId === r.id))).costCents).toBe(13);
  });

  it('Responses: completed without any usage report → charged by the no-usage rule (estimated input + cap), once, and counted', async () => {
    submitBehaviour = () => ({ ok: true, providerJobId: 'job', mode: 'callback' });
    const r = await createResponse({ input: 'x'.repeat(3000), max_output_tokens: 4000 });
    const sub = await until(async () => submits.find((s) => s.generationId === r.id));
    await finishEvt(sub, 'succeeded', { provider: 'framerate' });
    const done = await responseUntil(r.id, 'completed');
    // 2,010 estimated input + 4,000 output: 0.1206 + 1.2 = 1.3206¢ → 2¢ (= the hold); $0.013206
    expect(holds.find((h) => h.generationId === r.id).amountCents).toBe(2);
    expect(tokenCharges.filter((c) => c.responseId === r.id)).toEqual([expect.objectContaining({ amountCents: 2, inputTokens: 2010, outputTokens: 4000, holdId: `${r.id}:1` })]);
    expect(done.usage).toEqual({ input_tokens: 2010, output_tokens: 4000, total_tokens: 6010, cost_usd: 0.013206, charged_cents: 2, estimated: true });
    expect((await until(async () => finished.find((f) => f.generationId === r.id))).costCents).toBe(2);
    // The same end delivered again under another event id, and a late usage event: nothing more is charged.
    await deliver(EVENTS.providerJobFinished, `again-${r.id}`, { generationId: r.id, attempt: sub.attempt, provider: 'framerate', providerJobId: 'job', outcome: 'succeeded', outputUrl: 'x' });
    await deliver(EVENTS.providerJobUsageReported, `usage-${r.id}`, { generationId: r.id, attempt: sub.attempt, inputTokens: 10, outputTokens: 10 });
    await new Promise((res) => setTimeout(res, 200));
    expect(tokenCharges.filter((c) => c.responseId === r.id)).toHaveLength(1);
    expect(await svc.ctx.metrics.scrape()).toMatch(/pipevideo_responses_unreported_usage_total\{provider="framerate",service="router"\} 1\n/);
    // A job that reported its usage is not counted.
    const reported = await createResponse({ input: 'reported' });
    const sub2 = await until(async () => submits.find((s) => s.generationId === reported.id));
    await finishEvt(sub2, 'succeeded', { provider: 'framerate', usage: { inputTokens: 100, outputTokens: 100 } });
    expect((await responseUntil(reported.id, 'completed')).usage?.estimated).toBe(false);
    expect(await svc.ctx.metrics.scrape()).toMatch(/pipevideo_responses_unreported_usage_total\{provider="framerate",service="router"\} 1\n/);
  });

  it('no attempt (so no hold) begins on a generation that ended meanwhile; a submit is not recorded on an abandoned attempt', async () => {
    const store = new GenerationStore(svc.ctx.ds);
    const cand = { modelSlug: 'google/veo-3.1', routeId: 'fal:veo', provider: 'fal', providerModelId: 'fal-ai/veo3.1', resolution: '720p', durationSeconds: 8, withAudio: false, estimatedCostCents: 100, perSecondCents: 12 } as any;
    await svc.ctx.ds.query(
      `INSERT INTO generations (id, org_id, api, status, needs_dispatch, requested_model, request, candidates, lease_owner) VALUES ('gen_ended', 'org_a', 'responses', 'cancelled', false, 'm', '{}', $1, 'me')`,
      [JSON.stringify([cand])],
    );
    const ended = (await store.getById('gen_ended'))!;
    const lease = { owner: 'me', ms: 60_000 };
    expect(await store.beginAttempt(ended, 1, 1, cand, 'gen_ended:1', lease)).toBe(false);
    expect(await svc.ctx.ds.query(`SELECT * FROM generation_attempts WHERE generation_id = 'gen_ended'`)).toEqual([]);

    await svc.ctx.ds.query(
      `INSERT INTO generations (id, org_id, api, status, needs_dispatch, requested_model, request, candidates, lease_owner) VALUES ('gen_taken', 'org_a', 'video', 'pending', true, 'm', '{}', $1, 'me')`,
      [JSON.stringify([cand])],
    );
    const taken = (await store.getById('gen_taken'))!;
    // Another replica's lease: this one must not begin an attempt (nor place a hold).
    expect(await store.beginAttempt(taken, 1, 1, cand, 'gen_taken:1', { owner: 'someone-else', ms: 60_000 })).toBe(false);
    expect(await store.beginAttempt(taken, 1, 1, cand, 'gen_taken:1', lease)).toBe(true);
    // A sweeper whose lease ran out abandoned attempt 1 while its submit was still running.
    await store.endAttempt(taken, 1, 'abandoned', null, 'dispatch interrupted', true);
    expect(await store.markSubmitted(taken, 1, cand, 'gen_taken:1', 'job-late', 'callback', 60_000)).toBe(false);
    expect((await store.getById('gen_taken'))!.status).toBe('pending');
  });

  it('a submit answered after the customer cancelled (the providers service\'s tombstone) is neither a route failure nor a fallback', async () => {
    let answer!: (r: unknown) => void;
    submitBehaviour = () => new Promise((r) => (answer = r));
    const c = await create({ models: ['google/veo-3.1'], duration: 6 });
    await until(async () => submits.find((s) => s.generationId === c.id));
    // The customer's cancel lands while the submit is on its way: generation final, attempt closed.
    await svc.ctx.ds.query(`UPDATE generation_attempts SET outcome = 'cancelled', ended_at = now() WHERE generation_id = $1`, [c.id]);
    await svc.ctx.ds.query(`UPDATE generations SET status = 'cancelled', needs_dispatch = false, completed_at = now() WHERE id = $1`, [c.id]);
    const routeFailures = async () => [...(await svc.ctx.metrics.scrape()).matchAll(/pipevideo_route_outcomes_total\{[^}]*kind="server_error"[^}]*\} (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    const before = await routeFailures();
    answer({ ok: false, kind: 'server_error', retryable: true, message: 'this attempt was cancelled before it was submitted' });
    await new Promise((r) => setTimeout(r, 300));
    expect(submits.filter((s) => s.generationId === c.id)).toHaveLength(1);
    expect(holds.filter((h) => h.generationId === c.id)).toHaveLength(1);
    expect(await routeFailures()).toBe(before);
    const [attempt] = await svc.ctx.ds.query(`SELECT outcome FROM generation_attempts WHERE generation_id = $1`, [c.id]);
    expect(attempt.outcome).toBe('cancelled');
  });

  it('a create repeated with its idempotency key (its first answer lost) returns the first generation: one hold, one job', async () => {
    submitBehaviour = () => ({ ok: true, providerJobId: 'job', mode: 'callback' });
    const msg = { orgId: 'org_idem', request: { prompt: 'once', models: ['google/veo-3.1'] }, idempotencyKey: 'retry-me' };
    const first = await rpc().request(RPC.router.generationCreate, msg);
    const [again, concurrent] = await Promise.all([rpc().request(RPC.router.generationCreate, msg), rpc().request(RPC.router.generationCreate, msg)]);
    expect(again).toEqual(first);
    expect(concurrent).toEqual(first);
    await until(async () => submits.find((s) => s.generationId === first.id));
    await new Promise((r) => setTimeout(r, 200));
    expect(holds.filter((h) => h.generationId === first.id)).toHaveLength(1);
    expect(submits.filter((s) => s.generationId === first.id)).toHaveLength(1);
    // Per org and per API: the same key elsewhere is another create.
    const otherOrg = await rpc().request(RPC.router.generationCreate, { ...msg, orgId: 'org_idem_2' });
    expect(otherOrg.id).not.toBe(first.id);
    const resp = { orgId: 'org_idem', request: { model: 'moonshotai/kimi-k2.5', input: 'once' }, idempotencyKey: 'retry-me' };
    const r1 = await rpc().request(RPC.router.responseCreate, resp);
    const r2 = await rpc().request(RPC.router.responseCreate, resp);
    expect(r1.id).not.toBe(first.id);
    expect(r2.id).toBe(r1.id);
    const scraped = await svc.ctx.metrics.scrape();
    expect(scraped).toMatch(/pipevideo_idempotent_create_replays_total\{api="video",service="router"\} [2-9]/);
    expect(scraped).toMatch(/pipevideo_idempotent_create_replays_total\{api="responses",service="router"\} 1/);
    // The same key with another request is a 409 (as at the gateway), also when the gateway forgot the key.
    await expect(rpc().request(RPC.router.generationCreate, { ...msg, request: { ...msg.request, prompt: 'twice?' } })).rejects.toMatchObject({
      code: 'CONFLICT', message: expect.stringMatching(/already used with a different request/),
    });
    // A key older than the idempotency window names a new request.
    await svc.ctx.ds.query(`UPDATE generations SET created_at = now() - interval '25 hours' WHERE id = $1`, [first.id]);
    const later = await rpc().request(RPC.router.generationCreate, { ...msg, request: { ...msg.request, prompt: 'a day later' } });
    expect(later.id).not.toBe(first.id);
    // Without a key, every create is a new generation.
    const { idempotencyKey: _drop, ...plain } = msg;
    expect((await rpc().request(RPC.router.generationCreate, plain)).id).not.toBe((await rpc().request(RPC.router.generationCreate, plain)).id);
  });
});
