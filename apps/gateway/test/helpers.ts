import { createInProcessWiring, createTestDatabase, InProcessWiring, TestDatabase } from '@pipevideo/platform';
import { RunningGateway, startGatewayService, StartGatewayOptions } from '../src';

export type Handler = (data: any) => unknown | Promise<unknown>;

/** A gateway on a fresh database with in-process messaging; downstream subjects answered by stubs. */
export interface Harness {
  gw: RunningGateway;
  db: TestDatabase;
  wiring: InProcessWiring;
  url: string;
  calls: Array<{ subject: string; data: any }>;
  stub(subject: string, handler: Handler): void;
  close(): Promise<void>;
}

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export async function startHarness(opts: Partial<StartGatewayOptions> = {}): Promise<Harness> {
  const db = await createTestDatabase('pv_gateway');
  const wiring = createInProcessWiring();
  const calls: Harness['calls'] = [];
  const unregister: Array<() => void> = [];
  const gw = await startGatewayService({ messaging: { kind: 'inprocess', wiring }, databaseUrl: db.url, port: 0, adminToken: ADMIN_TOKEN, ...opts });
  return {
    gw,
    db,
    wiring,
    url: gw.url,
    calls,
    stub(subject, handler) {
      unregister.push(
        wiring.bus.register(subject, async (raw) => {
          const packet = JSON.parse(raw) as { id: string; data: any };
          calls.push({ subject, data: packet.data });
          try {
            const response = await handler(packet.data);
            return JSON.stringify({ id: packet.id, response, isDisposed: true });
          } catch (err: any) {
            return JSON.stringify({ id: packet.id, err: { code: err.code ?? 'INTERNAL_SERVER_ERROR', message: err.message ?? 'boom', ...(err.details ? { details: err.details } : {}) }, isDisposed: true });
          }
        }),
      );
    },
    async close() {
      unregister.forEach((u) => u());
      await gw.close();
      await db.drop();
    },
  };
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export async function call(base: string, method: string, path: string, opts: { key?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, { method, headers, body });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, body: json, text };
}

/** An org with a standard and a management key, made through the operator API. */
export async function newOrg(url: string, name = 'Acme', opts: { rate_limit_per_minute?: number } = {}) {
  const org = await call(url, 'POST', '/admin/orgs', { key: ADMIN_TOKEN, body: { name, ...opts } });
  if (org.status !== 201) throw new Error(`org: ${org.status} ${org.text}`);
  const std = await call(url, 'POST', `/admin/orgs/${org.body.id}/keys`, { key: ADMIN_TOKEN, body: { name: 'std' } });
  const mgmt = await call(url, 'POST', `/admin/orgs/${org.body.id}/keys`, { key: ADMIN_TOKEN, body: { name: 'mgmt', kind: 'management' } });
  return { orgId: org.body.id as string, key: std.body.key as string, keyId: std.body.id as string, mgmtKey: mgmt.body.key as string, mgmtKeyId: mgmt.body.id as string };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
