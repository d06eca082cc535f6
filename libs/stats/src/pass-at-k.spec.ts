import { describe, expect, it } from 'vitest';
import { passAtK } from './pass-at-k';

// Reference values from the closed form 1 - C(n-c,k)/C(n,k), computed with exact integers (Python math.comb).
describe('passAtK', () => {
  it('matches the closed form on known values', () => {
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12);
    expect(passAtK(5, 5, 3)).toBe(1);
    expect(passAtK(10, 0, 5)).toBe(0);
    expect(passAtK(200, 10, 10)).toBeCloseTo(0.40854786608141713, 12);
    expect(passAtK(10, 3, 5)).toBeCloseTo(1 - 21 / 252, 12);
  });

  it('is 1 as soon as fewer than k samples failed', () => {
    expect(passAtK(10, 8, 3)).toBe(1);
  });

  it('equals c/n for k = 1', () => {
    for (let c = 0; c <= 20; c += 1) expect(passAtK(20, c, 1)).toBeCloseTo(c / 20, 12);
  });

  it('stays finite where the binomials overflow a double', () => {
    const v = passAtK(2000, 1, 1000);
    expect(v).toBeCloseTo(0.5, 12);
  });

  it.each([
    [0, 0, 1],
    [5, 6, 1],
    [5, 2, 0],
    [5, 2, 6],
    [5.5, 2, 1],
    [5, -1, 1],
    [Number.NaN, 1, 1],
  ])('rejects n=%s c=%s k=%s', (n, c, k) => {
    expect(() => passAtK(n, c, k)).toThrow(RangeError);
  });
});
