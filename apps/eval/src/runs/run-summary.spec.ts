import { describe, expect, it } from 'vitest';
import { summarizeRun, type ScoredSampleRow } from './run-summary';

const counts = { total: 0, pending: 0, scored: 0, errored: 0, cancelled: 0 };
const row = (itemIndex: number, passed: boolean | null): ScoredSampleRow => ({
  itemIndex,
  score: passed === null ? null : passed ? 1 : 0,
  passed,
  promptTokens: 10,
  completionTokens: 5,
});

describe('summarizeRun', () => {
  it('computes pass@1 and pass@10 with the unbiased estimator per item', () => {
    const scored = [
      ...Array.from({ length: 10 }, (_, i) => row(0, i < 3)),
      ...Array.from({ length: 10 }, () => row(1, false)),
    ];
    const s = summarizeRun({ metric: 'pass@k', samplesPerItem: 10, scored, counts, startedAt: null, finishedAt: null, now: new Date() });
    const p1 = s.metrics.find((m) => m.name === 'pass@1')!;
    const p10 = s.metrics.find((m) => m.name === 'pass@10')!;
    expect(p1.value).toBeCloseTo((0.3 + 0) / 2, 10);
    expect(p10.value).toBeCloseTo(0.5, 10);
    expect(p1.ci[0]).toBeLessThanOrEqual(p1.value);
    expect(p1.ci[1]).toBeGreaterThanOrEqual(p1.value);
  });

  it('leaves errored samples out of the score instead of counting them as failures', () => {
    const scored = [row(0, true), row(1, null), row(2, true)];
    const s = summarizeRun({ metric: 'accuracy', samplesPerItem: 1, scored, counts, startedAt: null, finishedAt: null, now: new Date() });
    expect(s.metrics[0]).toMatchObject({ name: 'accuracy', value: 1, n: 2 });
  });

  it('breaks the metric down per item group, groups in dataset order, errored samples left out as overall', () => {
    const inGroup = (itemIndex: number, passed: boolean | null, itemGroup: string): ScoredSampleRow => ({ ...row(itemIndex, passed), itemGroup });
    const scored = [inGroup(3, false, 'hard'), inGroup(0, true, 'easy'), inGroup(1, true, 'easy'), inGroup(2, null, 'hard'), inGroup(4, true, 'hard'), inGroup(5, false, 'extra')];
    const s = summarizeRun({ metric: 'accuracy', samplesPerItem: 1, scored, counts, startedAt: null, finishedAt: null, now: new Date() });
    expect(s.metrics[0]).toMatchObject({ value: 3 / 5, n: 5 });
    expect(s.groups?.map((g) => [g.name, g.metrics[0]?.value, g.metrics[0]?.n])).toEqual([
      ['easy', 1, 2],
      ['hard', 0.5, 2],
      ['extra', 0, 1],
    ]);
    // pass@k per group uses the same estimator per item.
    const pass = summarizeRun({ metric: 'pass@k', samplesPerItem: 2, scored: [inGroup(0, true, 'a'), inGroup(0, false, 'a'), inGroup(1, false, 'b'), inGroup(1, false, 'b')], counts, startedAt: null, finishedAt: null, now: new Date() });
    expect(pass.groups?.map((g) => [g.name, g.metrics.map((m) => [m.name, m.value])])).toEqual([
      ['a', [['pass@1', 0.5]]],
      ['b', [['pass@1', 0]]],
    ]);
  });

  it('has no groups for a benchmark without them', () => {
    const s = summarizeRun({ metric: 'accuracy', samplesPerItem: 1, scored: [row(0, true)], counts, startedAt: null, finishedAt: null, now: new Date() });
    expect(s).not.toHaveProperty('groups');
  });

  it('reports no metric at all when nothing was scored', () => {
    const s = summarizeRun({ metric: 'accuracy', samplesPerItem: 1, scored: [row(0, null)], counts, startedAt: null, finishedAt: null, now: new Date() });
    expect(s.metrics).toEqual([]);
  });

  it('sums tokens and derives throughput from the run time', () => {
    const started = new Date(0);
    const s = summarizeRun({
      metric: 'accuracy',
      samplesPerItem: 1,
      scored: [row(0, true), row(1, false)],
      counts,
      startedAt: started,
      finishedAt: new Date(2000),
      now: new Date(5000),
    });
    expect(s).toMatchObject({ promptTokens: 20, completionTokens: 10, elapsedSeconds: 2, completionTokensPerSecond: 5 });
  });
});
