import { describe, expect, it } from 'vitest';
import type { ComparisonJson } from '../api/gateway-client';
import { comparisonText, isRegression } from './comparison-text';

const base: ComparisonJson = {
  a: 'run-a',
  b: 'run-b',
  benchmark: 'gsm8k',
  metric: 'accuracy',
  sharedItems: 100,
  onlyInA: 0,
  onlyInB: 2,
  meanA: 0.6,
  meanB: 0.5,
  delta: -0.1,
  ci: [-0.18, -0.03],
  confidence: 0.95,
  bootstrapPValue: 0.004,
  mcnemar: { improved: 3, regressed: 13, pValue: 0.021 },
  significant: true,
  improved: { count: 3, items: ['gsm8k/1', 'gsm8k/2', 'gsm8k/3'] },
  regressed: { count: 13, items: Array.from({ length: 13 }, (_, i) => `gsm8k/${10 + i}`) },
  differences: [{ field: 'model', a: '"m1"', b: '"m2"', breaksComparability: false }],
  comparable: true,
};

describe('comparisonText', () => {
  it('leads with the verdict and shows the evidence', () => {
    const text = comparisonText(base);
    expect(text.split('\n')[1]).toBe('B is significantly worse (regression)');
    expect(text).toContain('accuracy: A 60.0%  B 50.0%  delta -10.0 pts  95% CI [-18.0 pts, -3.0 pts]');
    expect(text).toContain('McNemar p=0.0210');
    expect(text).toContain('(0 only in A, 2 only in B');
    expect(text).toContain('regressed 13: gsm8k/10,');
    expect(text).toContain('(3 more; --json lists up to 1000)');
    expect(text).toContain('model: A "m1"  B "m2"');
    expect(isRegression(base)).toBe(true);
  });

  it('says when there is no significant difference, or the runs are not comparable', () => {
    expect(comparisonText({ ...base, significant: false })).toContain('\nno significant difference\n');
    expect(isRegression({ ...base, significant: false })).toBe(false);
    expect(isRegression({ ...base, delta: 0.1 })).toBe(false);
    const text = comparisonText({ ...base, comparable: false, differences: [{ field: 'datasetSha256', a: '"x"', b: '"y"', breaksComparability: true }] });
    expect(text).toContain('NOT COMPARABLE');
    expect(text).toContain('datasetSha256 (breaks comparability)');
  });
});
