/**
 * Customer webhooks end to end: an endpoint registered over HTTP receives `video.generation.completed`
 * (success and failure) for video generations and for Responses jobs alike (spec 001: one event type,
 * `data.api` tells them apart), signed the Standard Webhooks way and verified here
 * with the `standardwebhooks` package exactly as a customer would; another org's endpoint hears nothing.
 */
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { http, pollGeneration, waitFor } from './harness/http';
import { bootMicroservices, createFundedOrg, Platform } from './harness/platform';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

async function receiver(failFirst = 0): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  let failures = failFirst;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (failures-- > 0) {
        res.writeHead(500).end('not yet');
        return;
      }
      got.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`, got, server };
}

describe('customer webhooks (microservices mode)', () => {
  let p: Platform;
  let skip = false;
  beforeAll(async () => {
    ({ p, skip } = await bootMicroservices());
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('signed, verifiable deliveries for successes and failures, retried until the receiver answers, never to another org', async () => {
    if (skip) return;
    const a = await createFundedOrg(p.baseUrl, p.adminToken, 10_000, 'hooks A');
    const b = await createFundedOrg(p.baseUrl, p.adminToken, 10_000, 'hooks B');
    const recvA = await receiver(2); // fails twice, then succeeds
    const recvB = await receiver();
    try {
      const epA = await http('POST', `${p.baseUrl}/v1/webhooks`, { key: a.key, body: { url: recvA.url, description: 'A' } });
      expect(epA.status).toBeLessThan(300);
      expect(epA.body.secret).toMatch(/^whsec_/);
      const epB = await http('POST', `${p.baseUrl}/v1/webhooks`, { key: b.key, body: { url: recvB.url } });
      expect(epB.status).toBeLessThan(300);

      const ok = await http('POST', `${p.baseUrl}/v1/video/generations`, { key: a.key, body: { model: 'google/veo-3.1', prompt: 'A cat' } });
      const bad = await http('POST', `${p.baseUrl}/v1/video/generations`, { key: a.key, body: { model: 'google/veo-3.1', prompt: 'broken [any:down]' } });
      const okDone = await pollGeneration(p.baseUrl, a.key, ok.body.id);
      const badDone = await pollGeneration(p.baseUrl, a.key, bad.body.id);
      expect(okDone.status).toBe('completed');
      expect(badDone.status).toBe('failed');

      await waitFor('both events delivered', async () => recvA.got.length >= 2, 30_000);
      const wh = new Webhook(epA.body.secret);
      const events = recvA.got.map((r) => wh.verify(r.body, r.headers as Record<string, string>) as any);
      const byId = Object.fromEntries(events.map((e) => [e.data.generationId, e]));
      expect(byId[ok.body.id]).toMatchObject({ type: 'video.generation.completed', data: { generationId: ok.body.id, status: 'completed', outputUrl: okDone.output_url } });
      expect(byId[bad.body.id]).toMatchObject({ type: 'video.generation.completed', data: { generationId: bad.body.id, status: 'failed', errorMessage: badDone.error_message } });
      expect(typeof byId[ok.body.id].timestamp).toBe('string');

      // A forged body does not verify.
      expect(() => wh.verify(recvA.got[0].body.replace('completed', 'failed'), recvA.got[0].headers as Record<string, string>)).toThrow();

      // The delivery log shows the retries.
      const log = await http('GET', `${p.baseUrl}/v1/webhooks/${epA.body.id}/deliveries`, { key: a.key });
      expect(log.status).toBe(200);
      const attempts = log.body.data.map((d: any) => d.attempts);
      expect(Math.max(...attempts)).toBeGreaterThanOrEqual(2);

      // Org B heard nothing of org A, and cannot read A's endpoint.
      expect(recvB.got).toHaveLength(0);
      expect((await http('GET', `${p.baseUrl}/v1/webhooks/${epA.body.id}`, { key: b.key })).status).toBe(404);
      expect((await http('GET', `${p.baseUrl}/v1/webhooks/${epA.body.id}/deliveries`, { key: b.key })).status).toBe(404);
    } finally {
      recvA.server.close();
      recvB.server.close();
    }
  });

  it('finished Responses jobs raise video.generation.completed with api: responses and the response object', async () => {
    if (skip) return;
    const a = await createFundedOrg(p.baseUrl, p.adminToken, 10_000, 'hooks R');
    const recv = await receiver();
    try {
      // The retired Responses-only type is refused clearly.
      const retired = await http('POST', `${p.baseUrl}/v1/webhooks`, { key: a.key, body: { url: recv.url, events: ['response.completed'] } });
      expect(retired.status).toBe(400);

      const ep = await http('POST', `${p.baseUrl}/v1/webhooks`, { key: a.key, body: { url: recv.url, events: ['video.generation.completed'] } });
      expect(ep.status).toBeLessThan(300);
      const r = await http('POST', `${p.baseUrl}/v1/responses`, { key: a.key, body: { model: 'moonshotai/kimi-k2.5', input: 'A cat' } });
      expect(r.status).toBe(200);
      await waitFor('video.generation.completed for the response', async () => recv.got.length >= 1, 30_000);
      const evt: any = new Webhook(ep.body.secret).verify(recv.got[0].body, recv.got[0].headers as Record<string, string>);
      expect(evt.type).toBe('video.generation.completed');
      expect(evt.data).toMatchObject({ generationId: r.body.id, api: 'responses', response: { id: r.body.id, object: 'response' } });
      expect(['completed', 'failed']).toContain(evt.data.status);
      expect(evt.data.response.status).toBe(evt.data.status);
    } finally {
      recv.server.close();
    }
  });
});
