/**
 * Whether an error means "the database (or another piece of infrastructure) cannot be reached right
 * now" rather than "this request is wrong" or "our code is broken". Such failures are answered with
 * 503 SERVICE_UNAVAILABLE (retry shortly) and logged as warnings: during a PostgreSQL restart every
 * request fails this way, and a 500 would tell the caller — and the 5xx alert — something false.
 */
const PG_UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006', '08007']);
const NODE_NET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /not currently accepting connections/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /terminating connection due to administrator command/i,
];

export function isConnectivityError(err: unknown): boolean {
  for (let e: any = err, depth = 0; e && typeof e === 'object' && depth < 3; e = e.driverError ?? e.cause, depth++) {
    if (typeof e.code === 'string' && (PG_UNAVAILABLE_CODES.has(e.code) || NODE_NET_CODES.has(e.code))) return true;
    if (typeof e.message === 'string' && MESSAGES.some((m) => m.test(e.message))) return true;
  }
  return false;
}
