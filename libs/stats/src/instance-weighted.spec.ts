import { describe, expect, it } from 'vitest';
import { instanceWeightedMean } from './instance-weighted';

describe('instanceWeightedMean', () => {
  it.each([
    { parts: [], expected: null },
    { parts: [{ value: 0.5, n: 0 }], expected: null },
    { parts: [{ value: 1, n: 1 }, { value: 0, n: 3 }], expected: { value: 0.25, n: 4 } },
    { parts: [{ value: 0.2, n: 10 }, { value: 0.2, n: 5 }], expected: { value: 0.2, n: 15 } },
  ])('$parts -> $expected', ({ parts, expected }) => {
    const got = instanceWeightedMean(parts);
    if (expected === null) expect(got).toBeNull();
    else {
      expect(got!.n).toBe(expected.n);
      expect(got!.value).toBeCloseTo(expected.value, 12);
    }
  });

  it.each([{ value: 0.5, n: -1 }, { value: 0.5, n: 1.5 }, { value: Number.NaN, n: 2 }])('rejects %j', (part) => {
    expect(() => instanceWeightedMean([part])).toThrow(RangeError);
  });
});
