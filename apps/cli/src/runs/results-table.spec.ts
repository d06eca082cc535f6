import { describe, expect, it } from 'vitest';
import type { RunJson } from '../api/gateway-client';
import { groupsTable, resultsTable, runResultJson } from './results-table';

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
    expect(runResultJson(run)).not.toHaveProperty('groups');
  });

  it('prints and gives the metric per group where the benchmark has groups (Spider hardness)', () => {
    const spider: RunJson = {
      ...run,
      benchmark: 'spider',
      summary: {
        ...run.summary!,
        groups: [
          { name: 'easy', metrics: [{ name: 'accuracy', value: 0.75, ci: [0.7, 0.8], method: 'wilson', n: 248 }] },
          { name: 'extra', metrics: [{ name: 'accuracy', value: 0.25, ci: [0.19, 0.32], method: 'wilson', n: 166 }] },
        ],
      },
    };
    expect(groupsTable(spider).split('\n')).toEqual([
      expect.stringMatching(/^group\s+metric\s+score\s+95% CI\s+n$/),
      expect.stringMatching(/^easy\s+accuracy\s+0\.750\s+\[0\.700, 0\.800\]\s+248$/),
      expect.stringMatching(/^extra\s+accuracy\s+0\.250\s+\[0\.190, 0\.320\]\s+166$/),
      '',
    ]);
    expect(runResultJson(spider).groups).toEqual({ easy: { accuracy: { value: 0.75, ci95: [0.7, 0.8], n: 248, method: 'wilson' } }, extra: { accuracy: { value: 0.25, ci95: [0.19, 0.32], n: 166, method: 'wilson' } } });
    expect(groupsTable(run)).toBe('');
  });
});
