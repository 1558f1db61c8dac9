import { humanDuration, RetryPolicy } from './retry-policy';

const HOUR = 3_600_000;
const opts = { retryScheduleMs: [5000, 30_000, 120_000], retryJitter: 0, disableAfterFailingMs: 72 * HOUR, disableAfterExhausted: 3 };
const healthy = { failingSince: null, consecutiveExhausted: 0 };
const now = new Date('2026-01-10T12:00:00Z');
const fail = (statusCode: number | null = 500) => ({ ok: false, statusCode });

describe('RetryPolicy', () => {
  const policy = new RetryPolicy(opts);

  it('2xx succeeds and ends the failure streak', () => {
    expect(policy.decide({ ok: true, statusCode: 200 }, 3, { failingSince: now, consecutiveExhausted: 2 }, now)).toEqual({ delivery: 'succeeded', endpoint: 'healthy' });
  });

  it('retries on the schedule, then exhausts', () => {
    expect(policy.maxAttempts).toBe(4);
    expect(policy.decide(fail(), 1, healthy, now)).toEqual({ delivery: 'pending', retryInMs: 5000, endpoint: 'failing' });
    expect(policy.decide(fail(null), 2, healthy, now)).toEqual({ delivery: 'pending', retryInMs: 30_000, endpoint: 'failing' });
    expect(policy.decide(fail(429), 3, healthy, now)).toEqual({ delivery: 'pending', retryInMs: 120_000, endpoint: 'failing' });
    expect(policy.decide(fail(), 4, healthy, now)).toEqual({ delivery: 'exhausted', endpoint: 'failing' });
  });

  it('410 fails the delivery and disables the endpoint at once', () => {
    expect(policy.decide(fail(410), 1, healthy, now)).toEqual({ delivery: 'failed', endpoint: 'disable', reason: 'gone' });
  });

  it('disables an endpoint failing for longer than the limit', () => {
    const since = new Date(now.getTime() - 72 * HOUR - 1);
    expect(policy.decide(fail(), 1, { failingSince: since, consecutiveExhausted: 0 }, now)).toEqual({ delivery: 'failed', endpoint: 'disable', reason: 'failing' });
    const recent = new Date(now.getTime() - 71 * HOUR);
    expect(policy.decide(fail(), 1, { failingSince: recent, consecutiveExhausted: 0 }, now).endpoint).toBe('failing');
  });

  it('disables after N exhausted deliveries in a row', () => {
    expect(policy.decide(fail(), 4, { failingSince: now, consecutiveExhausted: 1 }, now)).toEqual({ delivery: 'exhausted', endpoint: 'failing' });
    expect(policy.decide(fail(), 4, { failingSince: now, consecutiveExhausted: 2 }, now)).toEqual({ delivery: 'exhausted', endpoint: 'disable', reason: 'exhausted' });
  });

  it('jitter stays within ±jitter of the scheduled delay', () => {
    const low = new RetryPolicy({ ...opts, retryJitter: 0.2 }, () => 0);
    const high = new RetryPolicy({ ...opts, retryJitter: 0.2 }, () => 0.999999);
    expect(low.retryDelay(1)).toBe(4000);
    expect(high.retryDelay(1)).toBe(6000);
    expect(low.retryDelay(4)).toBeNull();
  });

  it('explains disabling in words', () => {
    expect(policy.describe('gone')).toMatch(/410 Gone/);
    expect(policy.describe('failing')).toMatch(/more than 3 days/);
    expect(policy.describe('exhausted')).toMatch(/last 3 deliveries/);
    expect(humanDuration(90_000)).toBe('90 seconds');
    expect(humanDuration(1500)).toBe('1500 ms');
  });
});
