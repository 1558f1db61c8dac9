import { Receiver } from '../../test/support/receiver';
import { guardedLookup, HttpSender } from './http-sender';

describe('HttpSender (real receiver on 127.0.0.1)', () => {
  let r: Receiver;
  let open: HttpSender;
  beforeEach(async () => {
    r = await Receiver.start();
    open = new HttpSender({ allowHttp: true, allowPrivate: true }, 300);
  });
  afterEach(async () => {
    open.close();
    await r.close();
  });
  const send = (sender: HttpSender, url = r.url, signal?: AbortSignal) =>
    sender.send({ url, body: '{"type":"x"}', headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': '1', 'webhook-signature': 'v1,abc' }, signal });

  it('2xx is a success; the body and Standard Webhooks headers arrive as sent', async () => {
    r.answer(204);
    const res = await send(open);
    expect(res).toMatchObject({ ok: true, kind: 'ok', statusCode: 204, error: null });
    expect(r.requests[0].body).toBe('{"type":"x"}');
    expect(r.requests[0].headers).toMatchObject({ 'webhook-id': 'msg_1', 'content-type': 'application/json' });
  });

  it('keeps the connection alive across deliveries', async () => {
    await send(open);
    await send(open);
    expect(r.requests).toHaveLength(2);
    expect(r.requests[1].headers.connection).toBe('keep-alive');
  });

  it('non-2xx fails with the status and the start of the answer', async () => {
    r.answer(500, 404);
    expect(await send(open)).toMatchObject({ ok: false, kind: 'http_5xx', statusCode: 500, error: 'HTTP 500: nope 500' });
    expect(await send(open)).toMatchObject({ ok: false, kind: 'http_4xx', statusCode: 404 });
  });

  it('does not follow redirects', async () => {
    r.answer({ status: 302, headers: { location: `${r.url}/elsewhere` } });
    const res = await send(open);
    expect(res).toMatchObject({ ok: false, kind: 'http_3xx', statusCode: 302, error: 'HTTP 302 (redirects are not followed)' });
    expect(r.requests).toHaveLength(1);
  });

  it('times out a receiver that does not answer', async () => {
    r.answer('hang');
    const res = await send(open);
    expect(res).toMatchObject({ ok: false, kind: 'timeout', statusCode: null });
    expect(res.error).toContain('300 ms');
  });

  it('reports an unreachable receiver as a network failure', async () => {
    const url = r.url;
    await r.close();
    r = await Receiver.start();
    const res = await send(open, url);
    expect(res).toMatchObject({ ok: false, kind: 'network', statusCode: null });
    expect(res.error).toContain('ECONNREFUSED');
  });

  it('an aborted attempt (shutdown) reports aborted', async () => {
    r.answer('hang');
    const ac = new AbortController();
    const p = send(open, r.url, ac.signal);
    await r.waitFor((x) => x.requests.length === 1);
    ac.abort();
    expect(await p).toMatchObject({ ok: false, kind: 'aborted' });
  });

  it('re-checks the SSRF policy at delivery time: private and plain-http URLs are refused before any request', async () => {
    const strict = new HttpSender({ allowHttp: false, allowPrivate: false }, 300);
    const httpOnly = new HttpSender({ allowHttp: true, allowPrivate: false }, 300);
    try {
      expect(await send(strict)).toMatchObject({ ok: false, kind: 'refused', error: 'URL refused: must use https' });
      expect(await send(httpOnly)).toMatchObject({ ok: false, kind: 'refused' });
      expect((await send(httpOnly)).error).toMatch(/private, loopback or link-local/);
      // A host name resolving to loopback is refused too (the connection's own lookup is guarded as well).
      expect((await send(httpOnly, r.url.replace('127.0.0.1', 'localhost'))).error).toMatch(/private, loopback or link-local/);
      expect(r.requests).toHaveLength(0);
    } finally {
      strict.close();
      httpOnly.close();
    }
  });
});

describe('guardedLookup (the connection-time DNS check)', () => {
  const lookup = (host: string, all: boolean) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address?: unknown }>((resolve) => guardedLookup(host, { all }, (err, address) => resolve({ err, address })));

  it('refuses a name that resolves to loopback, whether the socket asks for one address or all', async () => {
    for (const all of [false, true]) {
      const { err } = await lookup('localhost', all);
      expect(err?.message).toMatch(/private, loopback or link-local/);
    }
  });
});
