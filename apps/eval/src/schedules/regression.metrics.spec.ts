import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { RunComparisonData } from '../runs/compare-runs/run-comparison';
import { RegressionMetrics } from './regression.metrics';

const comparison = (over: Partial<RunComparisonData>) => ({ benchmark: 'gsm8k', comparable: true, significant: true, delta: -0.2, ...over }) as RunComparisonData;
const nightly = { teamName: 'alpha', name: 'nightly' };

async function counts(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('lemur_eval_regressions_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [`${v.labels['team']}/${v.labels['schedule']}/${v.labels['benchmark']}`, v.value]));
}

describe('RegressionMetrics', () => {
  it('counts only comparable, significant drops, per team, schedule and benchmark', async () => {
    const registry = new Registry();
    const metrics = new RegressionMetrics(registry);
    expect(await counts(registry)).toEqual({});
    metrics.record(comparison({}), nightly);
    metrics.record(comparison({ delta: 0.2 }), nightly);
    metrics.record(comparison({ significant: false }), nightly);
    metrics.record(comparison({ comparable: false }), nightly);
    metrics.record(comparison({ benchmark: 'humaneval', delta: -0.01 }), nightly);
    metrics.record(comparison({}), { teamName: 'beta', name: 'nightly' });
    metrics.record(comparison({}), { teamName: 'alpha', name: 'weekly' });
    expect(await counts(registry)).toEqual({ 'alpha/nightly/gsm8k': 1, 'alpha/nightly/humaneval': 1, 'beta/nightly/gsm8k': 1, 'alpha/weekly/gsm8k': 1 });
  });
});
