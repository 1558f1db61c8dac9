import { CORRELATION_HEADER } from '@pipevideo/platform';

/** What an operator route's request tells the audit log about its caller. */
export interface OperatorRequest {
  ip?: string;
  headers: Record<string, string | string[] | undefined>;
}

/** The caller's address (trusted-proxy aware, see PIPEVIDEO_TRUSTED_PROXIES) and the request's correlation id. */
export function auditContext(req: OperatorRequest): { ip: string | null; correlationId: string | null } {
  const id = req.headers[CORRELATION_HEADER];
  return { ip: req.ip ?? null, correlationId: typeof id === 'string' ? id : null };
}
