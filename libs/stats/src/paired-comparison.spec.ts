import { describe, expect, it } from 'vitest';
import { comparePaired, mcnemarExact, type PairedScore } from './paired-comparison';

const pairs = (a: number[], b: number[]): PairedScore[] => a.map((x, i) => ({ id: `item/${i}`, a: x, b: b[i]! }));

describe('mcnemarExact', () => {
  it.each([
    // Reference values from scipy.stats.binomtest(k, n, 0.5).pvalue (two-sided).
    [0, 0, 1],
    [5, 0, 0.0625],
    [10, 2, 0.03857421875],
    [3, 3, 1],
    [1, 8, 0.0390625],
  ])('improved=%i regressed=%i -> p=%f', (improved, regressed, p) => {
    expect(mcnemarExact(improved, regressed).pValue).toBeCloseTo(p, 10);
  });

  it('does not underflow with thousands of discordant pairs', () => {
    const { pValue } = mcnemarExact(1100, 900);
    expect(pValue).toBeGreaterThan(0);
    expect(pValue).toBeLessThan(0.001);
    expect(mcnemarExact(1000, 1000).pValue).toBe(1);
  });
});

describe('comparePaired', () => {
  it('finds a consistent improvement significant and lists the flips', () => {
    const a = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? 1 : 0));
    const b = a.map((x, i) => (x === 0 && i % 4 === 1 ? 1 : x));
    const result = comparePaired(pairs(a, b));
    expect(result.n).toBe(200);
    expect(result.delta).toBeCloseTo(0.25, 10);
    expect(result.ci[0]).toBeGreaterThan(0);
    expect(result.mcnemar).toEqual({ improved: 50, regressed: 0, pValue: expect.any(Number) });
    expect(result.mcnemar!.pValue).toBeLessThan(1e-10);
    expect(result.significant).toBe(true);
    expect(result.improvedIds).toHaveLength(50);
    expect(result.regressedIds).toEqual([]);
  });

  it('does not call a balanced reshuffle significant', () => {
    const a = Array.from({ length: 100 }, (_, i) => (i < 50 ? 1 : 0));
    const b = Array.from({ length: 100 }, (_, i) => (i >= 5 && i < 55 ? 1 : 0));
    const result = comparePaired(pairs(a, b));
    expect(result.delta).toBe(0);
    expect(result.ci[0]).toBeLessThan(0);
    expect(result.ci[1]).toBeGreaterThan(0);
    expect(result.mcnemar).toMatchObject({ improved: 5, regressed: 5, pValue: 1 });
    expect(result.significant).toBe(false);
    expect(result.bootstrapPValue).toBe(1);
  });

  it('uses the bootstrap alone for graded scores, reproducibly', () => {
    const a = Array.from({ length: 60 }, (_, i) => (i % 10) / 10);
    const b = a.map((x) => Math.max(0, x - 0.2));
    const first = comparePaired(pairs(a, b), { seed: 7 });
    expect(first.mcnemar).toBeUndefined();
    expect(first.delta).toBeLessThan(0);
    expect(first.ci[1]).toBeLessThan(0);
    expect(first.significant).toBe(true);
    expect(comparePaired(pairs(a, b), { seed: 7 })).toEqual(first);
  });

  it('rejects empty, duplicated or non-finite input with a clear message', () => {
    expect(() => comparePaired([])).toThrow(/share no items/);
    expect(() => comparePaired([{ id: 'x', a: 1, b: 0 }, { id: 'x', a: 0, b: 0 }])).toThrow(/appears twice/);
    expect(() => comparePaired([{ id: 'x', a: Number.NaN, b: 0 }])).toThrow(/non-finite/);
    expect(() => comparePaired(pairs([1], [0]), { confidence: 1 })).toThrow(/confidence/);
  });
});
