/**
 * Least privilege, as the whole end-to-end suite runs it (harness/least-privilege.ts): each service has
 * its own NATS user allowed only its edges, and its own PostgreSQL role owning only its schema; the
 * ledger is append-only by grants. Here, what each may NOT do is tried directly.
 */
import { connect, StringCodec } from 'nats';
import { Client } from 'pg';
import { http, pollGeneration } from './harness/http';
import { bootMicroservices, createFundedOrg, Platform } from './harness/platform';

describe('least privilege (microservices mode)', () => {
  let p: Platform;
  let skip = false;
  beforeAll(async () => {
    ({ p, skip } = await bootMicroservices());
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  const asService = (service: 'gateway' | 'billing' | 'router' | 'providers' | 'webhooks') =>
    connect({ servers: p.nats.url, user: p.nats.creds![service].user, pass: p.nats.creds![service].password, timeout: 3000 });
  const prefix = () => `${p.db!.name}.`;

  it('the platform works end to end under these permissions', async () => {
    if (skip) return;
    const org = await createFundedOrg(p.baseUrl, p.adminToken, 5_000, 'least privilege org');
    const r = await http('POST', `${p.baseUrl}/v1/video/generations`, { key: org.key, body: { model: 'wan/2.5', prompt: 'a fox' } });
    expect(r.status).toBe(200);
    expect((await pollGeneration(p.baseUrl, org.key, r.body.id)).status).toBe('completed');
  });

  it('NATS: a service may call only the services it needs, and answer only its own subjects', async () => {
    if (skip) return;
    const sc = StringCodec();
    // webhooks never calls billing: adding credits from its credentials is refused by the server.
    const webhooks = await asService('webhooks');
    const errors: string[] = [];
    void (async () => {
      for await (const s of webhooks.status()) if (s.type === 'error') errors.push(String(s.data));
    })();
    await expect(webhooks.request(`${prefix()}billing.topup.create`, sc.encode('{}'), { timeout: 1500 })).rejects.toThrow();
    // router may not listen on billing's subjects (it could answer in billing's name).
    const router = await asService('router');
    const routerErrors: string[] = [];
    void (async () => {
      for await (const s of router.status()) if (s.type === 'error') routerErrors.push(String(s.data));
    })();
    router.subscribe(`${prefix()}billing.>`);
    await router.flush().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    // The gateway may call billing (the operator's credits): allowed.
    const gateway = await asService('gateway');
    const balance = await gateway.request(`${prefix()}billing.balance.get`, sc.encode(JSON.stringify({ id: '1', pattern: 'billing.balance.get', data: { v: 1, orgId: 'org_x' } })), { timeout: 3000 });
    expect(sc.decode(balance.data)).toContain('available_cents');
    // Bring your own key: the router may ask which providers an org has a key for, never read or write
    // the keys; the gateway may manage them, never submit provider jobs.
    const keyList = (pattern: string) => sc.encode(JSON.stringify({ id: '1', pattern, data: { v: 1, orgId: 'org_x' } }));
    const active = await router.request(`${prefix()}providers.keys.active`, keyList('providers.keys.active'), { timeout: 3000 });
    expect(sc.decode(active.data)).toContain('providers');
    await expect(router.request(`${prefix()}providers.keys.list`, keyList('providers.keys.list'), { timeout: 1500 })).rejects.toThrow();
    const listed = await gateway.request(`${prefix()}providers.keys.list`, keyList('providers.keys.list'), { timeout: 3000 });
    expect(sc.decode(listed.data)).toContain('"object":"list"');
    const gatewayErrors: string[] = [];
    void (async () => {
      for await (const s of gateway.status()) if (s.type === 'error') gatewayErrors.push(String(s.data));
    })();
    await expect(gateway.request(`${prefix()}providers.job.submit`, sc.encode('{}'), { timeout: 1500 })).rejects.toThrow();
    await Promise.all([webhooks.close(), router.close(), gateway.close()]);
    expect(errors.join(' ')).toMatch(/permissions[ _]violation/i);
    expect(routerErrors.join(' ')).toMatch(/permissions[ _]violation/i);
    expect(gatewayErrors.join(' ')).toMatch(/permissions[ _]violation/i);
  });

  it('PostgreSQL: each role owns its schema only, and billing cannot rewrite the ledger', async () => {
    if (skip) return;
    const as = async (service: 'router' | 'billing', sql: string) => {
      const c = new Client({ connectionString: p.roles!.urls[service] });
      await c.connect();
      try {
        return await c.query(sql);
      } finally {
        await c.end();
      }
    };
    await expect(as('router', 'SELECT count(*) FROM billing.ledger_entries')).rejects.toThrow(/permission denied for schema billing/);
    await expect(as('router', 'CREATE SCHEMA sneaky')).rejects.toThrow(/permission denied for database/);
    expect((await as('billing', 'SELECT count(*)::int AS n FROM billing.ledger_entries')).rows[0].n).toBeGreaterThan(0);
    // Not the trigger: the grant. (The trigger would say the ledger is append-only.)
    await expect(as('billing', 'UPDATE billing.ledger_entries SET amount_cents = amount_cents')).rejects.toThrow(/permission denied for table ledger_entries/);
    await expect(as('billing', 'UPDATE billing.ledger_transactions SET amount_cents = 0')).rejects.toThrow(/permission denied for table ledger_transactions/);
    await expect(as('billing', 'DELETE FROM billing.ledger_transactions')).rejects.toThrow(/permission denied for table ledger_transactions/);
    await expect(as('billing', 'TRUNCATE billing.ledger_entries')).rejects.toThrow(/permission denied for table ledger_entries/);
  });
});
