/** One part of a pooled score: a mean over `n` instances. */
export interface WeightedPart {
  value: number;
  n: number;
}

/**
 * The mean over all instances of the parts pooled together (a micro average): each part weighs by its instance count,
 * as the Lemur paper's aggregate axes are computed (e.g. tool use over the five MINT reasoning tasks). Null for no
 * instances: an aggregate of nothing is unscored, never 0.
 */
export function instanceWeightedMean(parts: readonly WeightedPart[]): { value: number; n: number } | null {
  let total = 0;
  let n = 0;
  for (const [i, part] of parts.entries()) {
    if (!Number.isInteger(part.n) || part.n < 0) throw new RangeError(`instanceWeightedMean: parts[${i}].n must be a whole number >= 0 (got ${part.n})`);
    if (!Number.isFinite(part.value)) throw new RangeError(`instanceWeightedMean: parts[${i}].value is not a finite number (got ${part.value})`);
    total += part.value * part.n;
    n += part.n;
  }
  return n === 0 ? null : { value: total / n, n };
}
