/** Tiny HTTP helpers for end-to-end tests: everything goes over real HTTP. */
export interface HttpResult<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function http<T = any>(method: string, url: string, opts: { key?: string; body?: unknown; headers?: Record<string, string>; raw?: string } = {}): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let body: string | undefined;
  if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method, headers, body });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** Polls a generation until it is final, as the spec's quickstart script does. */
export async function pollGeneration(baseUrl: string, key: string, id: string, timeoutMs = 60_000) {
  return waitFor(`generation ${id} to finish`, async () => {
    const r = await http('GET', `${baseUrl}/v1/video/generations/${id}`, { key });
    // Anything but 200 (a 429, a 503) is kept as the reason, so a timeout says why it waited.
    if (r.status !== 200) throw new Error(`GET ${id} answered ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    return r.body.status === 'completed' || r.body.status === 'failed' ? r.body : undefined;
  }, timeoutMs);
}
