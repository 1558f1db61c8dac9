import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Whether a scrape of /metrics may read the metrics. Without `PIPEVIDEO_METRICS_TOKEN` anyone who
 * reaches the port may (the services' ports are private, Prometheus scrapes them directly); with it,
 * only a request with `Authorization: Bearer <token>` — for the gateway, whose port is the public API's,
 * so the route list, request counts and auth-failure counters are not everyone's to read. Compared in
 * constant time (digests of equal length).
 */
export function metricsScrapeAllowed(authorization: string | undefined, token: string | undefined = process.env.PIPEVIDEO_METRICS_TOKEN): boolean {
  token = token?.trim(); // a secret saved with a trailing newline
  if (!token) return true;
  const given = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}
