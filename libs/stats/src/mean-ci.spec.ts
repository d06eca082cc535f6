import { describe, expect, it } from 'vitest';
import { meanWithCi, summarizeMetric, wilsonInterval } from './mean-ci';
import { normalQuantile } from './normal-quantile';
import { passAtK } from './pass-at-k';

describe('wilsonInterval', () => {
  // Reference values computed independently from the textbook formula with z = 1.959963984540054.
  it('gives the published bounds at the extremes', () => {
    const [lo0, hi0] = wilsonInterval(0, 1319);
    expect(lo0).toBe(0);
    expect(hi0).toBeCloseTo(0.002903944985303654, 12);
    const [lo1, hi1] = wilsonInterval(1319, 1319);
    expect(lo1).toBeCloseTo(0.9970960550146962, 12);
    expect(hi1).toBe(1);
  });

  it('gives the known interior bounds', () => {
    const [lo, hi] = wilsonInterval(5, 10);
    expect(lo).toBeCloseTo(0.236593090512564, 12);
    expect(hi).toBeCloseTo(0.7634069094874361, 12);
    const [lo2, hi2] = wilsonInterval(1000, 1319);
    expect(lo2).toBeCloseTo(0.7343131251145444, 12);
    expect(hi2).toBeCloseTo(0.7804877948740895, 12);
  });

  it('narrows at lower confidence', () => {
    const [lo95, hi95] = wilsonInterval(50, 100);
    const [lo80, hi80] = wilsonInterval(50, 100, 0.8);
    expect(hi80 - lo80).toBeLessThan(hi95 - lo95);
  });
});

describe('meanWithCi', () => {
  it('uses Wilson for 0/1 outcomes', () => {
    const values = [...Array(1000).fill(1), ...Array(319).fill(0)] as number[];
    const r = meanWithCi(values);
    expect(r.method).toBe('wilson');
    expect(r.n).toBe(1319);
    expect(r.mean).toBeCloseTo(1000 / 1319, 12);
    expect(r.ci[0]).toBeCloseTo(0.7343131251145444, 12);
  });

  it('bootstraps graded scores deterministically', () => {
    const scores = Array.from({ length: 164 }, (_, i) => passAtK(10, i % 11, 1));
    const a = meanWithCi(scores);
    const b = meanWithCi(scores);
    expect(a.method).toBe('bootstrap');
    expect(a).toEqual(b);
    expect(a.ci[0]).toBeLessThan(a.mean);
    expect(a.ci[1]).toBeGreaterThan(a.mean);
    const other = meanWithCi(scores, { seed: 7 });
    expect(other.ci).not.toEqual(a.ci);
  });

  it('bootstrap width matches the normal approximation for a large sample', () => {
    const scores = Array.from({ length: 2000 }, (_, i) => (i % 4) / 3);
    const r = meanWithCi(scores, { resamples: 4000 });
    const sd = Math.sqrt(scores.reduce((s, v) => s + (v - r.mean) ** 2, 0) / scores.length);
    const expectedHalf = (1.96 * sd) / Math.sqrt(scores.length);
    const half = (r.ci[1] - r.ci[0]) / 2;
    expect(Math.abs(half - expectedHalf) / expectedHalf).toBeLessThan(0.1);
  });

  it('gives a zero-width interval for constant scores', () => {
    expect(meanWithCi([0.5, 0.5, 0.5]).ci).toEqual([0.5, 0.5]);
  });

  it('can force the bootstrap on 0/1 data, and refuses Wilson on graded data', () => {
    expect(meanWithCi([0, 1, 1], { method: 'bootstrap' }).method).toBe('bootstrap');
    expect(() => meanWithCi([0.5, 1], { method: 'wilson' })).toThrow(/0\/1/);
  });

  it('rejects empty and non-finite input', () => {
    expect(() => meanWithCi([])).toThrow(RangeError);
    expect(() => meanWithCi([1, Number.NaN])).toThrow(/values\[1\]/);
    expect(() => meanWithCi([1], { confidence: 1 })).toThrow(RangeError);
  });
});

describe('summarizeMetric', () => {
  it('names the mean and its interval', () => {
    expect(summarizeMetric('accuracy', [1, 0, 1, 1])).toEqual({
      name: 'accuracy',
      value: 0.75,
      ci: wilsonInterval(3, 4),
      n: 4,
      method: 'wilson',
    });
  });
});

describe('normalQuantile', () => {
  it('matches known quantiles', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.995)).toBeCloseTo(2.5758293035489, 8);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 7);
  });
});
