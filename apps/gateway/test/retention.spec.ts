/**
 * Idempotency keys are pruned on the gateway's schedule (RetentionJanitor), not only replaced when reused:
 * a key past its TTL is deleted, a live one stays and still replays.
 */
import { call, Harness, newOrg, startHarness } from './helpers';
import { installFakeDownstream } from './fake-downstream';

jest.setTimeout(30_000);

describe('idempotency keys past their TTL', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ idempotencyTtlSeconds: 3600 });
    installFakeDownstream(h);
  });
  afterAll(async () => h?.close());

  it('are deleted by the janitor; live ones stay and replay', async () => {
    const o = await newOrg(h.url);
    const create = (key: string) => call(h.url, 'POST', '/v1/video/generations', { key: o.key, body: { model: 'google/veo-3.1', prompt: 'a cat' }, headers: { 'idempotency-key': key } });
    const old = await create('old-key');
    const live = await create('live-key');
    expect([old.status, live.status]).toEqual([200, 200]);
    const ds = h.gw.ctx.ds;
    await ds.query(`UPDATE idempotency_keys SET created_at = now() - interval '2 hours' WHERE key = 'old-key'`);
    expect(await h.gw.ctx.janitor.runOnce()).toBeGreaterThanOrEqual(1);
    expect((await ds.query(`SELECT key FROM idempotency_keys ORDER BY key`)).map((r: { key: string }) => r.key)).toEqual(['live-key']);
    expect((await create('live-key')).body.id).toBe(live.body.id);
  });
});
