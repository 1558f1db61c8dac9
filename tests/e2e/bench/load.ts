import autocannon from 'autocannon';

/** What one phase measured. */
export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
  statuses: Record<string, number>;
}

/**
 * A small closed-loop HTTP load generator on Node `fetch`: `concurrency` workers, each sending requests
 * back to back. It spends more CPU per request than a cheap server answer costs (undici, promises, a
 * `Response` per request), so the measured phases use `cannon` below; this one stays for warm-ups,
 * set-up traffic and `bench/scaling.ts`.
 */
export async function load(durationMs: number, concurrency: number, send: (i: number) => Promise<number>): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let i = 0;
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        let status = 0;
        try {
          status = await send(i++);
        } catch {
          status = 0;
        }
        latencies.push(performance.now() - t);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status < 200 || status >= 300) errors++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { requests: latencies.length, errors, seconds, perSecond: latencies.length / seconds, p50ms: q(0.5), p99ms: q(0.99), statuses };
}

export function row(name: string, r: LoadResult): string {
  return `${name.padEnd(28)} ${r.perSecond.toFixed(0).padStart(7)} req/s   p50 ${r.p50ms.toFixed(1).padStart(6)} ms   p99 ${r.p99ms.toFixed(1).padStart(7)} ms   errors ${r.errors}/${r.requests} ${JSON.stringify(r.statuses)}`;
}

/** autocannon's `setupClient`: no body kept (its queue's `addBody`; left alone if another version has none). */
function skipBodies(client: unknown): void {
  const queue = (client as { pipelinedRequests?: { addBody?: unknown } }).pipelinedRequests;
  if (queue && typeof queue.addBody === 'function') queue.addBody = () => undefined;
}

/** One request of a `cannon` phase; the phase cycles through its list on every connection. */
export interface CannonRequest {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Sees every answer to this request (its status and body as text). */
  onResponse?: (status: number, body: string) => void;
}

/**
 * The measured phases' load generator: autocannon (`concurrency` keep-alive connections, each sending
 * its next request as soon as the previous answer is in, like `load`), in this process and on one
 * thread. Its requests are serialised once and its HTTP parser does nothing but frame the answers, so
 * the client spends a fraction of what the server does per request (`clientCpuSeconds` says how
 * much). Latencies are kept exactly (autocannon's own histogram rounds to whole milliseconds); a
 * connection error or timeout counts as status 0, as in `load`.
 */
export function cannon(baseUrl: string, durationMs: number, concurrency: number, requests: CannonRequest[]): Promise<LoadResult & { clientCpuSeconds: number }> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const cpu = process.cpuUsage();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: baseUrl,
        connections: concurrency,
        duration: durationMs / 1000,
        timeout: 30,
        // autocannon appends every body to a string (a UTF-8 decode of each chunk, compressed bytes
        // included): when no request reads its answer, its clients skip that (the bodies are still
        // read off the socket and framed; only the copy nobody reads goes).
        ...(requests.some((r) => r.onResponse) ? {} : { setupClient: skipBodies }),
        requests: requests.map((r) => ({
          method: r.method ?? 'GET',
          path: r.path,
          headers: r.headers ?? {},
          ...(r.body !== undefined ? { body: r.body } : {}),
          ...(r.onResponse ? { onResponse: r.onResponse } : {}),
        })),
      },
      (err, result) => {
        if (err) return reject(err);
        const used = process.cpuUsage(cpu);
        statuses['0'] = (statuses['0'] ?? 0) + result.errors;
        if (!statuses['0']) delete statuses['0'];
        latencies.sort((a, b) => a - b);
        const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
        const count = latencies.length + result.errors;
        resolve({ requests: count, errors: errors + result.errors, seconds: result.duration, perSecond: count / result.duration, p50ms: q(0.5), p99ms: q(0.99), statuses, clientCpuSeconds: (used.user + used.system) / 1e6 });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      latencies.push(ms);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status < 200 || status >= 300) errors++;
    });
  });
}
