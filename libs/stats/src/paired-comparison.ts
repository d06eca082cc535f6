import { createPrng } from './prng';

/** One item scored in both runs (each score the item's mean over its samples, in [0, 1]). */
export interface PairedScore {
  id: string;
  a: number;
  b: number;
}

/** McNemar's exact test on the discordant pairs of 0/1 outcomes. */
export interface McNemarResult {
  /** Items that failed in A and passed in B. */
  improved: number;
  /** Items that passed in A and failed in B. */
  regressed: number;
  /** Two-sided exact binomial p-value (1 when there are no discordant pairs). */
  pValue: number;
}

/** B against A on their shared items. */
export interface PairedComparison {
  n: number;
  meanA: number;
  meanB: number;
  /** meanB - meanA. */
  delta: number;
  /** Paired percentile-bootstrap interval of the delta (items resampled together). */
  ci: [number, number];
  confidence: number;
  /** Two-sided p-value of the paired bootstrap (share of resampled deltas on the other side of zero, doubled). */
  bootstrapPValue: number;
  /** Present when every score is 0 or 1. */
  mcnemar?: McNemarResult;
  /** Item ids whose score went up / down. */
  improvedIds: string[];
  regressedIds: string[];
  /** True when the interval excludes zero (and, for 0/1 scores, McNemar agrees at the same level). */
  significant: boolean;
}

/** Options with reproducible defaults. */
export interface PairedComparisonOptions {
  confidence?: number;
  resamples?: number;
  seed?: number;
}

/** Compares two runs item by item: paired bootstrap for the delta's interval, McNemar for 0/1 outcomes, and the flips. */
export function comparePaired(items: readonly PairedScore[], opts: PairedComparisonOptions = {}): PairedComparison {
  if (items.length === 0) throw new RangeError('comparePaired: the runs share no items, so there is nothing to compare');
  const ids = new Set<string>();
  for (const [i, item] of items.entries()) {
    if (ids.has(item.id)) throw new RangeError(`comparePaired: item ${item.id} appears twice`);
    ids.add(item.id);
    if (!Number.isFinite(item.a) || !Number.isFinite(item.b)) throw new RangeError(`comparePaired: items[${i}] (${item.id}) has a non-finite score`);
  }
  const confidence = opts.confidence ?? 0.95;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`comparePaired: confidence must be in (0, 1) (got ${confidence})`);
  const resamples = opts.resamples ?? 4000;
  const n = items.length;
  const diffs = items.map((item) => item.b - item.a);
  const meanA = mean(items.map((i) => i.a));
  const meanB = mean(items.map((i) => i.b));
  const delta = mean(diffs);

  const random = createPrng(opts.seed ?? 0x5eed_2026);
  const deltas = new Float64Array(resamples);
  for (let r = 0; r < resamples; r += 1) {
    let total = 0;
    for (let i = 0; i < n; i += 1) total += diffs[Math.floor(random() * n)]!;
    deltas[r] = total / n;
  }
  deltas.sort();
  const alpha = 1 - confidence;
  const ci: [number, number] = [quantile(deltas, alpha / 2), quantile(deltas, 1 - alpha / 2)];
  const atOrBelow = deltas.filter((d) => d <= 0).length / resamples;
  const atOrAbove = deltas.filter((d) => d >= 0).length / resamples;
  const bootstrapPValue = delta === 0 ? 1 : Math.min(1, 2 * (delta > 0 ? atOrBelow : atOrAbove));

  const binary = items.every((i) => (i.a === 0 || i.a === 1) && (i.b === 0 || i.b === 1));
  const improvedIds = items.filter((i) => i.b > i.a).map((i) => i.id);
  const regressedIds = items.filter((i) => i.b < i.a).map((i) => i.id);
  const mcnemar = binary ? mcnemarExact(improvedIds.length, regressedIds.length) : undefined;
  const excludesZero = ci[0] > 0 || ci[1] < 0;
  const significant = excludesZero && (mcnemar === undefined || mcnemar.pValue < alpha);
  return { n, meanA, meanB, delta, ci, confidence, bootstrapPValue, ...(mcnemar ? { mcnemar } : {}), improvedIds, regressedIds, significant };
}

/** McNemar's exact test: the discordant pairs follow Binomial(improved + regressed, 1/2) under no change. */
export function mcnemarExact(improved: number, regressed: number): McNemarResult {
  const m = improved + regressed;
  if (m === 0) return { improved, regressed, pValue: 1 };
  const k = Math.min(improved, regressed);
  // Sum of the lower tail in log space, so thousands of discordant pairs do not underflow.
  let logTerm = -m * Math.LN2;
  let tail = Math.exp(logTerm);
  for (let i = 1; i <= k; i += 1) {
    logTerm += Math.log(m - i + 1) - Math.log(i);
    tail += Math.exp(logTerm);
  }
  return { improved, regressed, pValue: Math.min(1, 2 * tail) };
}

function mean(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total / values.length;
}

function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
