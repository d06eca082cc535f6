import { describe, expect, it } from 'vitest';
import type { RunJson } from '../api/gateway-client';
import { resultsTable, runResultJson } from './results-table';

const run: RunJson = {
  id: 'r1',
  model: 'sim:oracle',
  benchmark: 'gsm8k',
  benchmarkVersion: '1.0.0',
  status: 'succeeded',
  summary: {
    metrics: [{ name: 'accuracy', value: 1, ci: [0.997, 1], method: 'wilson', n: 1319 }],
    counts: { total: 1319, pending: 0, scored: 1318, errored: 1, cancelled: 0 },
    promptTokens: 10,
    completionTokens: 2000,
    elapsedSeconds: 20,
    completionTokensPerSecond: 100,
  },
};

describe('results', () => {
  it('prints one row per metric with score, CI, samples, errors, time and tokens/s', () => {
    const lines = resultsTable([run]).split('\n');
    expect(lines[0]).toMatch(/benchmark\s+model\s+metric\s+score\s+95% CI\s+samples\s+errors\s+time\s+tokens\/s/);
    expect(lines[1]).toMatch(/gsm8k\s+sim:oracle\s+accuracy\s+1\.000\s+\[0\.997, 1\.000\]\s+1319\s+1\s+20\.0s\s+100/);
  });

  it('gives --json consumers the metrics keyed by name', () => {
    expect(runResultJson(run)).toMatchObject({
      runId: 'r1',
      benchmark: 'gsm8k@1.0.0',
      metrics: { accuracy: { value: 1, ci95: [0.997, 1] } },
      samples: 1319,
      errors: 1,
    });
  });
});
