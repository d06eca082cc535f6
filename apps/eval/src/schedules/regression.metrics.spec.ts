import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { RunComparisonData } from '../runs/compare-runs/run-comparison';
import { RegressionMetrics } from './regression.metrics';

const comparison = (over: Partial<RunComparisonData>) => ({ benchmark: 'gsm8k', comparable: true, significant: true, delta: -0.2, ...over }) as RunComparisonData;

async function counts(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('lemur_eval_regressions_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels['benchmark']), v.value]));
}

describe('RegressionMetrics', () => {
  it('starts every benchmark at 0 and counts only comparable, significant drops', async () => {
    const registry = new Registry();
    const metrics = new RegressionMetrics(registry, ['gsm8k', 'humaneval']);
    expect(await counts(registry)).toEqual({ gsm8k: 0, humaneval: 0 });
    metrics.record(comparison({}));
    metrics.record(comparison({ delta: 0.2 }));
    metrics.record(comparison({ significant: false }));
    metrics.record(comparison({ comparable: false }));
    metrics.record(comparison({ benchmark: 'humaneval', delta: -0.01 }));
    expect(await counts(registry)).toEqual({ gsm8k: 1, humaneval: 1 });
  });
});
