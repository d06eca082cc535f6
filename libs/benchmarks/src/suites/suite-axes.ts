import { instanceWeightedMean } from '@lemur/stats';
import { type SuiteDefinition } from './suite';

/** A member's headline score (accuracy / success rate, or pass@1) over `n` scored items; null while it has none. */
export interface SuiteMemberScore {
  key: string;
  value: number | null;
  n: number;
}

/** An axis pooled over the members that have scores; `missing` lists the members it still lacks. */
export interface SuiteAxisResult {
  name: string;
  label: string;
  value: number | null;
  n: number;
  members: string[];
  missing: string[];
}

/**
 * The suite's aggregate axes, each the instance-weighted mean of its members' scores (every item counts once, as the
 * paper pools MINT's tasks). An axis with a missing member is still computed over the rest and lists what it lacks,
 * so a partial number is never mistaken for the paper's.
 */
export function suiteAxes(suite: SuiteDefinition, scores: readonly SuiteMemberScore[]): SuiteAxisResult[] {
  const byKey = new Map(scores.map((s) => [s.key, s]));
  return suite.axes.map((axis) => {
    const present = axis.members.flatMap((key) => {
      const s = byKey.get(key);
      return s !== undefined && s.value !== null && s.n > 0 ? [{ value: s.value, n: s.n }] : [];
    });
    const pooled = instanceWeightedMean(present);
    return {
      name: axis.name,
      label: axis.label,
      value: pooled?.value ?? null,
      n: pooled?.n ?? 0,
      members: [...axis.members],
      missing: axis.members.filter((key) => {
        const s = byKey.get(key);
        return s === undefined || s.value === null || s.n === 0;
      }),
    };
  });
}
