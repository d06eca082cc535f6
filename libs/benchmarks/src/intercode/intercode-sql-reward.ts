import { type PyCell, pyRound2, pyTupleRepr } from './intercode-python';

/** The SQL reward and how it was reached (SqlEnv.get_reward in intercode/envs/sql/sql_env.py). */
export interface IntercodeSqlReward {
  reward: number;
  /** True when the reward is a Python int (both results empty); it prints as `1`, a float as `1.0`. */
  int: boolean;
  /** Rows in common (multiset intersection) over rows in the union (multiset maximum). */
  iou: number;
  /** Kendall's tau-b of the common rows in each side's order; null when undefined (NaN upstream). */
  sortCorrelation: number | null;
}

/**
 * InterCode-SQL's reward: multiset IoU of the rows (each row compared as Python's `str()` of its tuple), scaled by the
 * Kendall tau-b between the agent's and the gold's order of the common rows and rounded to 2 places when tau is
 * defined; 1 when both are empty; 0.0 when the agent's action gave no rows to compare (an error, or no result set).
 */
export function intercodeSqlReward(agentRows: readonly (readonly PyCell[])[] | null, goldRows: readonly (readonly PyCell[])[]): IntercodeSqlReward {
  if (agentRows === null) return { reward: 0, int: false, iou: 0, sortCorrelation: null };
  const agent = agentRows.map(pyTupleRepr);
  const gold = goldRows.map(pyTupleRepr);
  const distAgent = counts(agent);
  const distGold = counts(gold);
  const intersection = new Map<string, number>();
  for (const [k, v] of distAgent) {
    const g = distGold.get(k);
    if (g !== undefined) intersection.set(k, Math.min(v, g));
  }
  const union = new Map(distAgent);
  for (const [k, v] of distGold) union.set(k, Math.max(union.get(k) ?? 0, v));
  if (union.size === 0) return { reward: 1, int: true, iou: 1, sortCorrelation: null };
  const totalIntersect = sum(intersection.values());
  const totalUnion = sum(union.values());
  const iou = (totalIntersect * 1) / totalUnion;
  if (intersection.size === 0) return { reward: iou, int: false, iou, sortCorrelation: null };
  const tau = kendallTauB(intersectItems(agent, intersection), intersectItems(gold, intersection));
  if (Number.isNaN(tau)) return { reward: iou, int: false, iou, sortCorrelation: null };
  return { reward: pyRound2(tau * iou), int: false, iou, sortCorrelation: tau };
}

/** The list's items that are in the multiset, each taken at most as often as the multiset holds it (get_intersect_items). */
function intersectItems(list: readonly string[], multiset: ReadonlyMap<string, number>): string[] {
  const left = new Map(multiset);
  const out: string[] = [];
  for (const item of list) {
    const n = left.get(item);
    if (n === undefined) continue;
    if (n === 1) left.delete(item);
    else left.set(item, n - 1);
    out.push(item);
  }
  return out;
}

/**
 * scipy.stats.kendalltau (variant 'b') of two equally long lists of strings, ranked by Python's string order:
 * (concordant − discordant) / sqrt((n0 − ties in x)(n0 − ties in y)); NaN when fewer than 2 items or one side is all
 * ties, as scipy returns.
 */
export function kendallTauB(x: readonly string[], y: readonly string[]): number {
  if (x.length !== y.length) throw new Error(`kendallTauB needs equally long lists, got ${x.length} and ${y.length}`);
  const n = x.length;
  const tot = (n * (n - 1)) / 2;
  let con = 0;
  let dis = 0;
  let xtie = 0;
  let ytie = 0;
  for (let i = 0; i < n; i += 1) {
    for (let j = i + 1; j < n; j += 1) {
      const dx = compare(x[i]!, x[j]!);
      const dy = compare(y[i]!, y[j]!);
      if (dx === 0) xtie += 1;
      if (dy === 0) ytie += 1;
      if (dx !== 0 && dy !== 0) {
        if (dx === dy) con += 1;
        else dis += 1;
      }
    }
  }
  if (xtie === tot || ytie === tot) return Number.NaN;
  const tau = (con - dis) / Math.sqrt(tot - xtie) / Math.sqrt(tot - ytie);
  return Math.min(1, Math.max(-1, tau));
}

// Python compares str by code point; comparing code points (not UTF-16 units) keeps astral characters in its order.
function compare(a: string, b: string): number {
  if (a === b) return 0;
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done) return cb.done ? 0 : -1;
    if (cb.done) return 1;
    const d = ca.value.codePointAt(0)! - cb.value.codePointAt(0)!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
}

function counts(list: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of list) m.set(s, (m.get(s) ?? 0) + 1);
  return m;
}

function sum(values: Iterable<number>): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
