import { ErrorCode } from '@pipevideo/contracts';
import { ApiError } from '../errors/api-error';
import { RateLimiter } from '../ratelimit/rate-limiter';
import type { DataSource } from 'typeorm';
import type { AccountsMetrics } from './accounts-metrics';
import { sha256 } from './tokens';

export const AUTH_WINDOW_SECONDS = 600;

/**
 * Brute-force limits of sign-in: attempts per client IP and sign-in emails per address, each a sliding
 * 10-minute window on the gateway's shared PostgreSQL counters (every replica draws on one budget).
 * Buckets of addresses hold a hash, never the address.
 */
export class AuthLimits {
  private readonly limiter: RateLimiter;

  constructor(
    ds: DataSource,
    private readonly o: { perIp: number; perEmail: number },
  ) {
    this.limiter = new RateLimiter(ds, AUTH_WINDOW_SECONDS);
  }

  async attempt(scope: 'ip' | 'email', value: string, method: 'email' | 'oidc', metrics: AccountsMetrics): Promise<void> {
    const d = await this.limiter.hit(`auth-${scope}:${scope === 'email' ? sha256(value) : value}`, scope === 'ip' ? this.o.perIp : this.o.perEmail);
    if (d.allowed) return;
    metrics.signIns.inc({ method, outcome: 'rate_limited' });
    const what = scope === 'ip' ? 'sign-in attempts from this IP address' : 'sign-in emails to this address';
    throw new ApiError(ErrorCode.TOO_MANY_REQUESTS, `Too many ${what}: at most ${d.limit} per ${AUTH_WINDOW_SECONDS / 60} minutes. Retry after ${d.retryAfterSeconds} s.`, { retryAfterSeconds: d.retryAfterSeconds });
  }
}
