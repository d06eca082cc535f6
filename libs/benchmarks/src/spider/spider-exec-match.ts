/**
 * Spider's execution match as taoyds/test-suite-sql-eval exec_eval.py computes it (the official Spider evaluation's
 * `--etype exec`). Cells arrive as typed tokens from the sandbox (`i:3`, `f:2.5`, `s:text`, `b:hex`, `N`), made so that
 * two tokens are equal exactly when Python's `==` holds for the values (an integral float is written as an int).
 */

/** A row of typed cell tokens. */
export type SpiderRow = readonly string[];

/** `postprocess`: the spaces models put inside `>=`, `<=`, `!=` removed. */
export function spiderPostprocess(query: string): string {
  return query.replaceAll('> =', '>=').replaceAll('< =', '<=').replaceAll('! =', '!=');
}

/** `replace_cur_year`: `YEAR(CURDATE())` becomes 2020, as the official evaluation runs it. */
export function spiderReplaceCurYear(query: string): string {
  return query.replace(/YEAR\s*\(\s*CURDATE\s*\(\s*\)\s*\)\s*/gi, '2020');
}

/**
 * `remove_distinct` (run on both queries unless --keep_distinct, which is off by default): every DISTINCT keyword token
 * dropped, case-insensitively; quoted strings and identifiers are left alone, as sqlparse's tokens leave them.
 */
export function spiderRemoveDistinct(query: string): string {
  return query.replace(/('(?:[^']|'')*'|"(?:[^"]|"")*"|`[^`]*`|\[[^\]]*\])|\b(distinct)\b/gi, (m, quoted: string | undefined) => (quoted !== undefined ? m : ''));
}

/** `order_matters = 'order by' in g_str.lower()`, after the gold's postprocessing. */
export function spiderOrderMatters(gold: string): boolean {
  return gold.toLowerCase().includes('order by');
}

/** The query as the official evaluation executes it: postprocess, DISTINCT removed, YEAR(CURDATE()) replaced. */
export function spiderEvalQuery(query: string): string {
  return spiderReplaceCurYear(spiderRemoveDistinct(spiderPostprocess(query)));
}

// `unorder_row`: cells sorted by str(x) + str(type(x)); any fixed total order of the tokens decides the same bags.
const unorderRow = (row: SpiderRow): string => JSON.stringify([...row].sort());

/** `result_eq(result1, result2, order_matters)`: the same rows under some column permutation, as bags or in order. */
export function spiderResultEq(result1: readonly SpiderRow[], result2: readonly SpiderRow[], orderMatters: boolean): boolean {
  if (result1.length === 0 && result2.length === 0) return true;
  if (result1.length !== result2.length) return false;
  const numCols = result1[0]!.length;
  if (result2[0]!.length !== numCols) return false;
  if (!quickRej(result1, result2, orderMatters)) return false;
  const tab1Sets = Array.from({ length: numCols }, (_, c) => new Set(result1.map((r) => r[c]!)));
  // Upstream prunes with 20 random rows of result2; pruning with every row removes only impossible permutations too,
  // so the verdict is the same and does not depend on a random seed.
  const candidates = tab1Sets.map((set) => Array.from({ length: numCols }, (_, c) => c).filter((c2) => result2.every((r) => set.has(r[c2]!))));
  const key1 = result1.map((r) => JSON.stringify(r));
  for (const perm of permutations(candidates)) {
    const key2 = result2.map((r) => JSON.stringify(perm.map((c) => r[c]!)));
    if (orderMatters ? key1.every((k, i) => k === key2[i]) : multisetEq(key1, key2)) return true;
  }
  return false;
}

function quickRej(result1: readonly SpiderRow[], result2: readonly SpiderRow[], orderMatters: boolean): boolean {
  const s1 = result1.map(unorderRow);
  const s2 = result2.map(unorderRow);
  if (orderMatters) return s1.every((s, i) => s === s2[i]);
  const set1 = new Set(s1);
  const set2 = new Set(s2);
  return set1.size === set2.size && [...set1].every((s) => set2.has(s));
}

function multisetEq(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const d = new Map<string, number>();
  for (const e of a) d.set(e, (d.get(e) ?? 0) + 1);
  for (const e of b) {
    const n = (d.get(e) ?? 0) - 1;
    if (n < 0) return false;
    d.set(e, n);
  }
  return true;
}

/** Injective choices of one candidate column per position (itertools.product filtered by len(set(perm)) == n). */
function* permutations(candidates: readonly number[][], prefix: number[] = []): Generator<number[]> {
  if (prefix.length === candidates.length) {
    yield prefix;
    return;
  }
  for (const c of candidates[prefix.length]!) {
    if (!prefix.includes(c)) yield* permutations(candidates, [...prefix, c]);
  }
}
