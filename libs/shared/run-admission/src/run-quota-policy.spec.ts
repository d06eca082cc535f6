import { describe, expect, it } from 'vitest';
import { concurrentRunsRefusal, dailySamplesRefusal, samplesOverQuotaRefusal } from './run-quota-policy';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 3, 12);
const limits = { maxConcurrentRuns: 2, maxSamplesPerDay: 1_000 };

describe('concurrentRunsRefusal', () => {
  it('lets a start through while it fits, and refuses the one past the quota for 30 s', () => {
    expect(concurrentRunsRefusal('research', limits, 1, 1)).toBeNull();
    expect(concurrentRunsRefusal('research', limits, 2, 1)).toEqual({
      limit: 'concurrent_runs',
      message: 'team research has 2 run(s) queued or running, its quota is 2; wait for one to finish or cancel one',
      retryAfterSeconds: 30,
    });
  });

  it('refuses a start of more runs than the quota itself for a day: waiting cannot help', () => {
    expect(concurrentRunsRefusal('research', limits, 0, 3)).toMatchObject({ limit: 'concurrent_runs', retryAfterSeconds: 86_400 });
  });
});

describe('samplesOverQuotaRefusal', () => {
  it('refuses only a start bigger than the whole daily quota', () => {
    expect(samplesOverQuotaRefusal('research', limits, 1_000)).toBeNull();
    expect(samplesOverQuotaRefusal('research', limits, 1_001)).toMatchObject({ limit: 'daily_samples', retryAfterSeconds: 86_400 });
  });
});

describe('dailySamplesRefusal', () => {
  const recent = [
    { createdAt: new Date(NOW - 20 * HOUR), samples: 300 },
    { createdAt: new Date(NOW - 10 * HOUR), samples: 300 },
  ];

  it('lets samples through up to the quota exactly', () => {
    expect(dailySamplesRefusal('research', limits, recent, 400, NOW)).toBeNull();
  });

  it('says when enough of the oldest starts leave the 24-hour window', () => {
    expect(dailySamplesRefusal('research', limits, recent, 401, NOW)).toMatchObject({ limit: 'daily_samples', retryAfterSeconds: 4 * 3600 });
    expect(dailySamplesRefusal('research', limits, recent, 701, NOW)).toMatchObject({ retryAfterSeconds: 14 * 3600 });
  });
});
