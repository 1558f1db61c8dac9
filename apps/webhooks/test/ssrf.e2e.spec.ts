import { RPC } from '@pipevideo/contracts';
import { createTestDatabase, type TestDatabase } from '@pipevideo/platform';
import type { RunningWebhooksService } from '../src';
import { rpc, startTestService } from './support/service';

describe('SSRF policy at endpoint create/update (production defaults: https only, public addresses only)', () => {
  let db: TestDatabase;
  let svc: RunningWebhooksService;
  beforeAll(async () => {
    db = await createTestDatabase('pv_webhooks_ssrf');
    svc = await startTestService(db, { allowHttp: false, allowPrivate: false, deliver: false });
  });
  afterAll(async () => {
    await svc?.close();
    await db?.drop();
  });

  it.each([
    ['http://example.com/hook', /must use https/],
    ['ftp://example.com/hook', /must use https/],
    ['https://127.0.0.1/hook', /private, loopback or link-local/],
    ['https://localhost:8443/hook', /private, loopback or link-local/],
    ['https://10.1.2.3/hook', /private, loopback or link-local/],
    ['https://192.168.0.10/hook', /private, loopback or link-local/],
    ['https://169.254.169.254/latest/meta-data', /private, loopback or link-local/],
    ['https://[::1]/hook', /private, loopback or link-local/],
    ['https://[::ffff:127.0.0.1]/hook', /private, loopback or link-local/],
    ['https://[::ffff:a9fe:a9fe]/hook', /private, loopback or link-local/],
    ['https://[64:ff9b::a9fe:a9fe]/hook', /private, loopback or link-local/],
    ['https://[64:ff9b:1::a00:1]/hook', /private, loopback or link-local/],
    ['https://[2002:a9fe:a9fe::1]/hook', /private, loopback or link-local/],
    ['https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook', /private, loopback or link-local/],
    ['https://[::a9fe:a9fe]/hook', /private, loopback or link-local/],
    ['https://user:pw@example.com/hook', /credentials/],
    ['https://no-such-host.invalid/hook', /does not resolve/],
  ])('refuses %s with the reason', async (url, reason) => {
    const err: any = await rpc(svc, RPC.webhooks.endpointCreate, { orgId: 'org_ssrf', url }).catch((e) => e);
    expect(err).toMatchObject({ code: 'BAD_REQUEST' });
    expect(err.message).toMatch(reason);
  });

  it('refuses a private URL on update as well', async () => {
    await svc.ctx.ds.query(
      `INSERT INTO endpoints (id, org_id, url, events, secret) VALUES ('ep_ssrf0', 'org_ssrf', 'https://93.184.215.14/hook', '{video.generation.completed}', 'plain:whsec_AAAA')`,
    );
    await expect(rpc(svc, RPC.webhooks.endpointUpdate, { orgId: 'org_ssrf', id: 'ep_ssrf0', url: 'https://127.0.0.1/x' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/private/),
    });
  });

  it('accepts a public https address (a literal: no DNS needed)', async () => {
    await expect(rpc(svc, RPC.webhooks.endpointCreate, { orgId: 'org_ssrf', url: 'https://93.184.215.15/hook' })).resolves.toMatchObject({
      url: 'https://93.184.215.15/hook',
      enabled: true,
    });
  });
});
