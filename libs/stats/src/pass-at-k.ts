/**
 * Unbiased pass@k estimator of Chen et al. 2021: 1 - C(n-c, k) / C(n, k) for n samples of which c passed.
 * Computed as 1 - prod_{i=n-c+1}^{n} (1 - k/i), which never forms the huge binomials.
 */
export function passAtK(n: number, c: number, k: number): number {
  assertCount('n', n);
  assertCount('c', c);
  assertCount('k', k);
  if (n < 1) throw new RangeError(`passAtK: n must be >= 1 (got ${n})`);
  if (c > n) throw new RangeError(`passAtK: c must be <= n (got c=${c}, n=${n})`);
  if (k < 1 || k > n) throw new RangeError(`passAtK: k must be in [1, n] (got k=${k}, n=${n})`);
  if (n - c < k) return 1;
  let allFail = 1;
  for (let i = n - c + 1; i <= n; i += 1) allFail *= 1 - k / i;
  return 1 - allFail;
}

function assertCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`passAtK: ${name} must be a non-negative integer (got ${value})`);
  }
}
