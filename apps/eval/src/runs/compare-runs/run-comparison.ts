import { comparePaired, type PairedComparison } from '@lemur/stats';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { RunRecord } from '../run.types';

/** A scored sample as a comparison needs it. */
export interface ItemScoreRow {
  itemId: string;
  score: number;
}

/** A setting that differs between two runs. */
export interface SpecDifference {
  field: string;
  a: string;
  b: string;
  breaksComparability: boolean;
}

/** Two runs compared on their shared items. */
export interface RunComparisonData extends PairedComparison {
  runA: string;
  runB: string;
  benchmark: string;
  metric: string;
  onlyInA: number;
  onlyInB: number;
  /** Exact counts; the id lists stop at 1000 each. */
  improvedCount: number;
  regressedCount: number;
  differences: SpecDifference[];
  comparable: boolean;
}

const MAX_LISTED_ITEMS = 1000;

/** Mean score per item (several samples per item average to the item's pass rate). */
export function perItemScores(rows: readonly ItemScoreRow[]): Map<string, number> {
  const sums = new Map<string, { total: number; n: number }>();
  for (const row of rows) {
    const s = sums.get(row.itemId) ?? { total: 0, n: 0 };
    s.total += row.score;
    s.n += 1;
    sums.set(row.itemId, s);
  }
  return new Map([...sums].map(([id, s]) => [id, s.total / s.n]));
}

/**
 * What differs between the runs' recorded specs. Data and prompts must match for scores to be comparable; model
 * (name or weights revision), sampling, tool provider and platform differences are what a comparison is usually
 * about, so they are listed, not refused.
 */
export function specDifferences(a: RunRecord, b: RunRecord): SpecDifference[] {
  const fields: [string, (r: RunRecord) => unknown, boolean][] = [
    ['benchmark', (r) => r.spec.benchmarkRef, true],
    ['datasetSha256', (r) => r.spec.datasetSha256, true],
    ['promptTemplateHash', (r) => r.spec.promptTemplateHash, true],
    ['chat', (r) => r.config.chat, true],
    // Letters chosen by log-probabilities and letters read from generated text are different measurements.
    ['choiceScoring', (r) => r.spec.choiceScoring?.method, true],
    ['model', (r) => r.modelName, false],
    // New weights served under the same model name: without it the two runs' settings would look the same.
    ['modelRevision', (r) => r.spec.modelRevision, false],
    ['sampling', (r) => r.spec.sampling, false],
    ['samplesPerItem', (r) => r.config.samplesPerItem, false],
    ['toolProvider', (r) => r.spec.agent?.toolProvider, false],
    ['platformVersion', (r) => r.spec.platformVersion, false],
  ];
  return fields.flatMap(([field, read, breaks]) => {
    const [va, vb] = [JSON.stringify(read(a)), JSON.stringify(read(b))];
    return va === vb ? [] : [{ field, a: va ?? '', b: vb ?? '', breaksComparability: breaks }];
  });
}

/** Paired comparison of B against A; both must be runs of the same benchmark with items scored in both. */
export function compareRunRecords(a: RunRecord, b: RunRecord, rowsA: readonly ItemScoreRow[], rowsB: readonly ItemScoreRow[]): RunComparisonData {
  if (a.benchmark !== b.benchmark) {
    throw new PlatformError(PlatformErrorCode.INVALID_ARGUMENT, `runs of different benchmarks cannot be compared (${a.benchmark} vs ${b.benchmark})`, { field: 'run_b' });
  }
  const scoresA = perItemScores(rowsA);
  const scoresB = perItemScores(rowsB);
  const shared = [...scoresA.keys()].filter((id) => scoresB.has(id)).sort();
  if (shared.length === 0) {
    throw new PlatformError(PlatformErrorCode.INVALID_ARGUMENT, `runs ${a.id} and ${b.id} have no item scored in both yet`, { field: 'run_b' });
  }
  const paired = comparePaired(shared.map((id) => ({ id, a: scoresA.get(id)!, b: scoresB.get(id)! })));
  const differences = specDifferences(a, b);
  return {
    ...paired,
    improvedIds: paired.improvedIds.slice(0, MAX_LISTED_ITEMS),
    regressedIds: paired.regressedIds.slice(0, MAX_LISTED_ITEMS),
    improvedCount: paired.improvedIds.length,
    regressedCount: paired.regressedIds.length,
    runA: a.id,
    runB: b.id,
    benchmark: a.benchmark,
    metric: a.spec.metric === 'pass@k' ? 'pass rate per item' : 'accuracy',
    onlyInA: scoresA.size - shared.length,
    onlyInB: scoresB.size - shared.length,
    differences,
    comparable: differences.every((d) => !d.breaksComparability),
  };
}
