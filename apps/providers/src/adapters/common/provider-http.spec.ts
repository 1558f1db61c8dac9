import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProviderErrorKind } from '@pipevideo/contracts';
import { ProviderHttp } from './provider-http';

describe('ProviderHttp', () => {
  let server: Server;
  let base: string;
  const seen: Array<{ method?: string; url?: string; headers: Record<string, unknown>; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body });
        if (req.url === '/slow') return void setTimeout(() => res.end('{}'), 1000);
        if (req.url === '/redirect') return void res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
        if (req.url === '/boom') return void res.writeHead(500, { 'content-type': 'text/plain' }).end('upstream broke');
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'r1' }).end(JSON.stringify({ id: 'job_1' }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  const http = new ProviderHttp('fal', 200);

  it('sends JSON and reads the answer in full', async () => {
    const a = await http.send('submit', { method: 'POST', url: `${base}/ok`, headers: { authorization: 'Key k' }, body: { prompt: 'a cat' } });
    expect(a).toMatchObject({ status: 200, json: { id: 'job_1' }, text: '{"id":"job_1"}' });
    expect(a.headers['x-request-id']).toBe('r1');
    expect(seen.at(-1)).toMatchObject({ method: 'POST', body: '{"prompt":"a cat"}', headers: { authorization: 'Key k', 'content-type': 'application/json', accept: 'application/json' } });
  });

  it('returns an HTTP error status for the adapter to classify', async () => {
    const a = await http.send('submit', { method: 'GET', url: `${base}/boom` });
    expect(a).toMatchObject({ status: 500, text: 'upstream broke', json: undefined });
  });

  it('a slow answer is a timeout', async () => {
    await expect(http.send('status', { method: 'GET', url: `${base}/slow` })).rejects.toMatchObject({ kind: ProviderErrorKind.Timeout, message: 'fal status timed out after 200 ms' });
  });

  it('a redirect is never followed (the target is not ours to choose): down', async () => {
    await expect(http.send('status', { method: 'GET', url: `${base}/redirect` })).rejects.toMatchObject({ kind: ProviderErrorKind.Down, message: expect.stringContaining('redirected (302)') });
    expect(seen.filter((s) => s.url === '/')).toHaveLength(0);
  });

  it('a refused connection is down, named by its code', async () => {
    await expect(http.send('submit', { method: 'GET', url: 'http://127.0.0.1:9/' })).rejects.toMatchObject({ kind: ProviderErrorKind.Down, message: expect.stringContaining('ECONNREFUSED') });
  });
});
