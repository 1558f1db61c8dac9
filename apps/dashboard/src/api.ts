/**
 * The one way the pages talk to the platform: the public API on the same origin, with the session cookie,
 * the selected organization (X-Pipevideo-Org) and, on anything that changes state, the CSRF token.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

interface Context {
  orgId?: string;
  csrfToken?: string;
}
const context: Context = {};

/** Called by the session whenever the user, the selected org or the CSRF token changes. */
export function setApiContext(c: Context) {
  context.orgId = c.orgId;
  context.csrfToken = c.csrfToken;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** Send no X-Pipevideo-Org (the /auth endpoints and the org list). */
  noOrg?: boolean;
  signal?: AbortSignal;
}

export async function api<T = any>(path: string, o: RequestOptions = {}): Promise<T> {
  const method = o.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  if (!o.noOrg && context.orgId) headers['x-pipevideo-org'] = context.orgId;
  if (method !== 'GET' && context.csrfToken) headers['x-csrf-token'] = context.csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', body: o.body === undefined ? undefined : JSON.stringify(o.body), signal: o.signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'The server could not be reached. Check your connection and try again.');
  }
  const text = await res.text();
  let body: any = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const e = body?.error;
    const message = typeof e?.message === 'string' ? e.message : typeof body?.message === 'string' ? body.message : `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, message, typeof e?.code === 'string' ? e.code : undefined);
  }
  return body as T;
}

/** The sentence to show for a failed call. */
export const errorText = (err: unknown) => (err instanceof ApiError ? err.message : err instanceof Error ? err.message : String(err));
