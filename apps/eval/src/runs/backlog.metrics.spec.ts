import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BacklogMetrics } from './backlog.metrics';

describe('BacklogMetrics', () => {
  it('reads the backlog at scrape time, with idle benchmarks at 0 and none left over from the last scrape', async () => {
    const registry = new Registry();
    let pending = new Map([['gsm8k', 120], ['mbpp', 3]]);
    new BacklogMetrics(registry, ['gsm8k', 'humaneval'], async () => pending);
    const read = async () =>
      Object.fromEntries((await registry.getSingleMetric('lemur_eval_backlog_samples')!.get()).values.map((v) => [v.labels['benchmark'], v.value]));
    expect(await read()).toEqual({ gsm8k: 120, humaneval: 0, mbpp: 3 });
    pending = new Map();
    expect(await read()).toEqual({ gsm8k: 0, humaneval: 0 });
  });
});
