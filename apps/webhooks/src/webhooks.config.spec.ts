import { DEFAULT_RETRY_SCHEDULE, loadWebhooksConfig, parseDuration, parseSchedule } from './webhooks.config';

describe('webhooks config', () => {
  it('parses durations and schedules', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('3d')).toBe(259_200_000);
    expect(parseDuration('40')).toBe(40);
    expect(() => parseDuration('soon')).toThrow(/invalid duration/);
    expect(parseSchedule('5s, 30s,2m')).toEqual([5000, 30_000, 120_000]);
    expect(() => parseSchedule(' , ')).toThrow();
  });

  it('default schedule: 12 attempts over about three days', () => {
    const total = parseSchedule(DEFAULT_RETRY_SCHEDULE).reduce((a, b) => a + b, 0);
    expect(parseSchedule(DEFAULT_RETRY_SCHEDULE)).toHaveLength(11);
    expect(total / 86_400_000).toBeGreaterThan(2.9);
    expect(total / 86_400_000).toBeLessThan(3);
  });

  it('reads the environment, overridden by explicit options', () => {
    process.env.PIPEVIDEO_WEBHOOKS_RETRY_SCHEDULE = '1s,2s';
    process.env.PIPEVIDEO_WEBHOOKS_ALLOW_PRIVATE = 'true';
    try {
      const c = loadWebhooksConfig({ timeoutMs: 1234, allowHttp: undefined });
      expect(c).toMatchObject({ retryScheduleMs: [1000, 2000], allowPrivate: true, allowHttp: false, timeoutMs: 1234, rotationOverlapMs: 86_400_000 });
    } finally {
      delete process.env.PIPEVIDEO_WEBHOOKS_RETRY_SCHEDULE;
      delete process.env.PIPEVIDEO_WEBHOOKS_ALLOW_PRIVATE;
    }
    expect(() => loadWebhooksConfig({ retryJitter: 1.5 })).toThrow(/JITTER/);
  });
});
