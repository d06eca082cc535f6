import { describe, expect, it } from 'vitest';
import { regressionText, scheduleLine } from './schedule-text';

describe('regressionText', () => {
  const base = { baselineRunId: 'b-1', regressed: true, delta: -0.25, ci: [-0.4, -0.1] as [number, number], pValue: 0.00012, significant: true, comparable: true, regressedItems: 9, note: '', checkedAt: null };
  it('says REGRESSION with the delta, its CI and p-value', () => {
    expect(regressionText(base)).toBe('regression check vs b-1: REGRESSION: delta -0.250 [-0.400, -0.100], p=0.00012, 9 items regressed\n');
  });
  it('says no significant drop, and why nothing was compared', () => {
    expect(regressionText({ ...base, regressed: false, significant: false, delta: -0.01 })).toContain('no significant drop');
    expect(regressionText({ ...base, baselineRunId: null, regressed: false, note: 'no earlier successful run' })).toBe(
      'regression check: not compared (no earlier successful run)\n',
    );
  });
});

describe('scheduleLine', () => {
  const schedule = {
    id: 'id-1',
    name: 'nightly',
    cron: '0 3 * * *',
    timezone: 'Europe/Berlin',
    model: 'sim:oracle',
    benchmarks: ['gsm8k', 'humaneval'],
    config: { limit: 0, samples: 1, concurrency: 0, chat: false },
    baseline: 'previous',
    enabled: true,
    webhookUrl: null,
    nextRunAt: '2026-12-04T02:00:00.000Z',
    lastRunAt: null,
    lastSuccessAt: null,
    createdAt: '2026-12-03T00:00:00.000Z',
  };

  it('shows the cron, zone, baseline and when it runs next', () => {
    const line = scheduleLine(schedule);
    expect(line).toContain('0 3 * * * Europe/Berlin');
    expect(line).toContain('gsm8k,humaneval  baseline=previous  next 2026-12-04T02:00:00.000Z  last success never\n');
    expect(scheduleLine({ ...schedule, lastSkipReason: null })).toBe(line);
  });

  it('says why its runs are held back, when a team quota holds them', () => {
    const reason = 'team research has 2 run(s) queued or running, its quota is 2; wait for one to finish or cancel one';
    expect(scheduleLine({ ...schedule, lastSkipReason: reason })).toContain(`last success never  held back: ${reason}\n`);
  });
});
