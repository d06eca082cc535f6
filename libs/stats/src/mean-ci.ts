import { normalQuantile } from './normal-quantile';
import { createPrng } from './prng';

/** How a confidence interval was computed. */
export type CiMethod = 'wilson' | 'bootstrap';

/** Options for {@link meanWithCi}; every field has a reproducible default. */
export interface MeanCiOptions {
  /** 'auto' (default) picks Wilson when every value is 0 or 1, else the bootstrap. */
  method?: CiMethod | 'auto';
  /** Two-sided confidence level in (0, 1); default 0.95. */
  confidence?: number;
  /** Bootstrap resamples; default 2000. */
  resamples?: number;
  /** Bootstrap PRNG seed; default fixed, so the same scores always give the same interval. */
  seed?: number;
}

/** A mean with its confidence interval. */
export interface MeanCi {
  mean: number;
  ci: [number, number];
  n: number;
  method: CiMethod;
}

/** A named metric as runs record it. */
export interface MetricSummary {
  name: string;
  value: number;
  ci: [number, number];
  n: number;
  method: CiMethod;
}

const DEFAULT_CONFIDENCE = 0.95;
const DEFAULT_RESAMPLES = 2000;
const DEFAULT_SEED = 0x1e3d_2024;

/** Mean of per-item scores with a CI: Wilson score interval for 0/1 outcomes, seeded percentile bootstrap otherwise. */
export function meanWithCi(values: readonly number[], opts: MeanCiOptions = {}): MeanCi {
  if (values.length === 0) throw new RangeError('meanWithCi: no values (an unscored metric has no mean; report it as null)');
  for (const [i, v] of values.entries()) {
    if (!Number.isFinite(v)) throw new RangeError(`meanWithCi: values[${i}] is not a finite number (got ${v})`);
  }
  const confidence = opts.confidence ?? DEFAULT_CONFIDENCE;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`meanWithCi: confidence must be in (0, 1) (got ${confidence})`);
  const binary = values.every((v) => v === 0 || v === 1);
  const method: CiMethod = opts.method === undefined || opts.method === 'auto' ? (binary ? 'wilson' : 'bootstrap') : opts.method;
  const n = values.length;
  const mean = sum(values) / n;
  if (method === 'wilson') {
    if (!binary) throw new RangeError('meanWithCi: the Wilson interval needs 0/1 outcomes; use the bootstrap for graded scores');
    return { mean, ci: wilsonInterval(sum(values), n, confidence), n, method };
  }
  const resamples = opts.resamples ?? DEFAULT_RESAMPLES;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`meanWithCi: resamples must be a positive integer (got ${resamples})`);
  return { mean, ci: bootstrapInterval(values, confidence, resamples, opts.seed ?? DEFAULT_SEED), n, method };
}

/** Wilson score interval for `successes` out of `n` Bernoulli trials. */
export function wilsonInterval(successes: number, n: number, confidence = DEFAULT_CONFIDENCE): [number, number] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`wilsonInterval: n must be a positive integer (got ${n})`);
  if (!(successes >= 0 && successes <= n)) throw new RangeError(`wilsonInterval: successes must be in [0, n] (got ${successes})`);
  const z = zFor(confidence);
  const p = successes / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Clamp so rounding never pushes the bounds outside [0, 1] or past the observed proportion at the extremes.
  return [successes === 0 ? 0 : Math.max(0, centre - half), successes === n ? 1 : Math.min(1, centre + half)];
}

/** {@link meanWithCi} packaged under a metric name, the shape a run stores. */
export function summarizeMetric(name: string, perItemScores: readonly number[], opts: MeanCiOptions = {}): MetricSummary {
  const { mean, ci, n, method } = meanWithCi(perItemScores, opts);
  return { name, value: mean, ci, n, method };
}

function bootstrapInterval(values: readonly number[], confidence: number, resamples: number, seed: number): [number, number] {
  const n = values.length;
  const random = createPrng(seed);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b += 1) {
    let total = 0;
    for (let i = 0; i < n; i += 1) total += values[Math.floor(random() * n)] as number;
    means[b] = total / n;
  }
  means.sort();
  const alpha = 1 - confidence;
  return [quantileSorted(means, alpha / 2), quantileSorted(means, 1 - alpha / 2)];
}

// Linear interpolation between order statistics (type 7, as numpy's default percentile).
function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

function zFor(confidence: number): number {
  // The exact constant for the common case keeps published 95% intervals reproducible to the last digit.
  return confidence === 0.95 ? 1.959963984540054 : normalQuantile(1 - (1 - confidence) / 2);
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
