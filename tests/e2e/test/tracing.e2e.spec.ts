/**
 * Traces and request logs for SREs: with an OTLP endpoint configured, one create is one trace from the
 * gateway's HTTP request through NATS (request/reply and JetStream events) to the router, billing and
 * the providers service, its PostgreSQL queries and the provider's HTTP API; every HTTP request writes
 * one structured log line (route, status, latency, org, key id, trace id) and never the key or prompt.
 * The OTLP receiver here is a plain HTTP server taking OTLP/HTTP JSON, as a collector would.
 */
import { createServer, Server } from 'node:http';
import { http, pollGeneration, waitFor } from './harness/http';
import { bootMicroservices, createFundedOrg, Platform } from './harness/platform';

interface SeenSpan {
  service: string;
  traceId: string;
  name: string;
  attributes: Record<string, unknown>;
}

describe('traces and request logs', () => {
  let p: Platform;
  let skip = false;
  let receiver: Server;
  const spans: SeenSpan[] = [];
  const logs: Array<{ service: string; line: any }> = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        try {
          for (const rs of JSON.parse(body).resourceSpans ?? []) {
            const service = rs.resource.attributes.find((a: any) => a.key === 'service.name')?.value?.stringValue;
            for (const ss of rs.scopeSpans ?? [])
              for (const s of ss.spans ?? [])
                spans.push({ service, traceId: s.traceId, name: s.name, attributes: Object.fromEntries((s.attributes ?? []).map((a: any) => [a.key, Object.values(a.value ?? {})[0]])) });
          }
        } catch {
          /* not OTLP JSON */
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const port = (receiver.address() as { port: number }).port;
    ({ p, skip } = await bootMicroservices({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_BSP_SCHEDULE_DELAY: '100',
        LOG_LEVEL: 'info',
      },
      onLog: (service, line) => {
        try {
          logs.push({ service, line: JSON.parse(line) });
        } catch {
          /* not a log line */
        }
      },
    }));
  }, 120_000);
  afterAll(async () => {
    await p?.stop();
    receiver?.close();
  });

  it('one create is one trace across the services, NATS, PostgreSQL and the provider call', async () => {
    if (skip) return;
    const org = await createFundedOrg(p.baseUrl, p.adminToken, 10_000, 'tracing org');
    const secretPrompt = 'a very private prompt 7f3a';
    const created = await http('POST', `${p.baseUrl}/v1/video/generations`, { key: org.key, body: { model: 'wan/2.5', prompt: secretPrompt, provider: { order: ['fal'] } } });
    expect(created.status).toBe(200);
    await pollGeneration(p.baseUrl, org.key, created.body.id);

    // The gateway's log line for the create carries the trace id; the trace holds every hop.
    const line = await waitFor('the create request log line', async () => logs.find((l) => l.service === 'gateway' && l.line.msg === 'request' && l.line.http?.route === '/v1/video/generations' && l.line.http?.method === 'POST')?.line);
    expect(line).toMatchObject({ http: { status: 200, latency_ms: expect.any(Number) }, org: org.orgId, key_id: expect.any(String), trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const trace = await waitFor('the whole trace', async () => {
      const t = spans.filter((s) => s.traceId === line.trace_id);
      const services = new Set(t.map((s) => s.service));
      const ready = ['gateway', 'router', 'billing', 'providers'].every((s) => services.has(s))
        && t.some((s) => s.name.startsWith('pg.query'))
        && t.some((s) => s.service === 'providers' && s.name === 'POST'); // its call to the provider's API
      return ready ? t : undefined;
    }, 30_000);
    expect(trace.some((s) => s.name === 'request router.generation.create')).toBe(true);
    expect(trace.some((s) => s.service === 'router' && s.name === 'handle router.generation.create')).toBe(true);
    // The create's hold goes in the router's hold batch (billing.hold.placeMany), traced under the batch's first create: a lone create's own.
    expect(trace.some((s) => s.service === 'billing' && s.name === 'handle billing.hold.placeMany')).toBe(true);
    // Durable events carry their trace through the outbox and JetStream: the provider's callback
    // (a trace of its own) reaches the router as `provider_job.finished` in the same trace.
    await waitFor('an event traced from publish to consume', async () => {
      const published = spans.filter((s) => s.service === 'providers' && s.name === 'publish provider_job.finished');
      return published.some((pub) => spans.some((c) => c.traceId === pub.traceId && c.service === 'router' && c.name === 'consume provider_job.finished'));
    }, 30_000);

    // Never the key or the prompt in any log line.
    const all = logs.map((l) => JSON.stringify(l.line)).join('\n');
    expect(all).not.toContain(org.key);
    expect(all).not.toContain(secretPrompt);
  });
});
