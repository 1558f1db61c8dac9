import { natsPermissions } from './nats-access';
import { RPC } from './subjects';

describe('NATS permissions', () => {
  it('a whole callee by default, only named subjects where the edge is narrower (provider keys)', () => {
    const gateway = natsPermissions('gateway', 'p.').publish.allow;
    expect(gateway).toEqual(expect.arrayContaining(['p.router.>', 'p.billing.>', 'p.webhooks.>', 'p.providers.keys.put', 'p.providers.keys.list', 'p.providers.keys.delete']));
    expect(gateway).not.toContain('p.providers.>');
    expect(gateway).not.toContain('p.providers.job.submit');
    const router = natsPermissions('router', 'p.').publish.allow;
    expect(router).toEqual(expect.arrayContaining(['p.billing.>', 'p.providers.job.submit', 'p.providers.job.cancel', 'p.providers.keys.active']));
    expect(router.filter((s) => s.startsWith('p.providers.'))).toEqual(['p.providers.job.submit', 'p.providers.job.cancel', 'p.providers.keys.active']);
    expect(natsPermissions('webhooks', 'p.').publish.allow.some((s) => s.startsWith('p.providers.'))).toBe(false);
  });

  it('the router may place holds one by one and in batches (router → billing)', () => {
    const allows = (service: 'router' | 'gateway', subject: string) =>
      natsPermissions(service, 'p.').publish.allow.some((a) => a === `p.${subject}` || (a.endsWith('.>') && `p.${subject}`.startsWith(a.slice(0, -1))));
    expect(allows('router', RPC.billing.holdPlace)).toBe(true);
    expect(allows('router', RPC.billing.holdPlaceMany)).toBe(true);
  });
});
