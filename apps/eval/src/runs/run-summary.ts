import { passAtK, summarizeMetric, type MetricSummary } from '@lemur/stats';

/** A finished sample as the summary needs it; `score` null means unscored (errored), which never counts as a 0. */
export interface ScoredSampleRow {
  itemIndex: number;
  /** The item's group where the benchmark has groups (Spider's hardness, MMLU's subject); null or absent otherwise. */
  itemGroup?: string | null;
  score: number | null;
  passed: boolean | null;
  promptTokens: number | null;
  completionTokens: number | null;
}

/** The metrics of one group of items (the benchmark's own breakdown: Spider's hardness, MMLU's subject, BBH's task). */
export interface GroupSummaryData {
  name: string;
  metrics: MetricSummary[];
}

export interface RunSummaryData {
  metrics: MetricSummary[];
  /** Per group, in the order the groups first appear in the dataset; absent when the benchmark has no groups. */
  groups?: GroupSummaryData[];
  counts: { total: number; pending: number; scored: number; errored: number; cancelled: number };
  promptTokens: number;
  completionTokens: number;
  elapsedSeconds: number;
  completionTokensPerSecond: number;
}

/** pass@k for every k in 1, 10, 100 that is at most the samples per item (Chen et al. 2021). */
function passAtKMetrics(byItem: Map<number, ScoredSampleRow[]>, samplesPerItem: number): MetricSummary[] {
  const ks = [1, 10, 100].filter((k) => k <= samplesPerItem);
  const metrics: MetricSummary[] = [];
  for (const k of ks) {
    const perItem: number[] = [];
    for (const rows of byItem.values()) {
      // Items with fewer scored samples than k (errors) cannot give an unbiased pass@k; they are left out and show as errors.
      if (rows.length < k) continue;
      perItem.push(passAtK(rows.length, rows.filter((r) => r.passed).length, k));
    }
    if (perItem.length > 0) metrics.push(summarizeMetric(`pass@${k}`, perItem));
  }
  return metrics;
}

/** The run's metric over the scored samples of some items (grouped by item): pass@k, or mean accuracy per item. */
function metricsOf(byItem: Map<number, ScoredSampleRow[]>, metric: 'pass@k' | 'accuracy', samplesPerItem: number): MetricSummary[] {
  if (byItem.size === 0) return [];
  if (metric === 'pass@k') return passAtKMetrics(byItem, samplesPerItem);
  const perItem = [...byItem.values()].map((rows) => rows.reduce((sum, r) => sum + (r.score ?? 0), 0) / rows.length);
  return [summarizeMetric('accuracy', perItem)];
}

/** The same metrics per item group, ordered by each group's first item in the dataset. */
function groupSummaries(byItem: Map<number, ScoredSampleRow[]>, metric: 'pass@k' | 'accuracy', samplesPerItem: number): GroupSummaryData[] {
  const groups = new Map<string, { first: number; items: Map<number, ScoredSampleRow[]> }>();
  for (const [itemIndex, rows] of byItem) {
    const name = rows[0]?.itemGroup;
    if (name === null || name === undefined) continue;
    const group = groups.get(name) ?? { first: itemIndex, items: new Map<number, ScoredSampleRow[]>() };
    group.first = Math.min(group.first, itemIndex);
    group.items.set(itemIndex, rows);
    groups.set(name, group);
  }
  return [...groups.entries()]
    .sort(([, a], [, b]) => a.first - b.first)
    .map(([name, group]) => ({ name, metrics: metricsOf(group.items, metric, samplesPerItem) }));
}

/** Metrics with 95% CIs, counts, tokens and throughput of a run, from its scored samples. */
export function summarizeRun(input: {
  metric: 'pass@k' | 'accuracy';
  samplesPerItem: number;
  scored: readonly ScoredSampleRow[];
  counts: RunSummaryData['counts'];
  startedAt: Date | null;
  finishedAt: Date | null;
  now: Date;
}): RunSummaryData {
  const byItem = new Map<number, ScoredSampleRow[]>();
  let promptTokens = 0;
  let completionTokens = 0;
  for (const row of input.scored) {
    promptTokens += row.promptTokens ?? 0;
    completionTokens += row.completionTokens ?? 0;
    if (row.score === null) continue;
    const rows = byItem.get(row.itemIndex) ?? [];
    rows.push(row);
    byItem.set(row.itemIndex, rows);
  }
  const metrics = metricsOf(byItem, input.metric, input.samplesPerItem);
  const groups = groupSummaries(byItem, input.metric, input.samplesPerItem);
  const end = input.finishedAt ?? input.now;
  const elapsedSeconds = input.startedAt ? Math.max(0, (end.getTime() - input.startedAt.getTime()) / 1000) : 0;
  return {
    metrics,
    ...(groups.length > 0 ? { groups } : {}),
    counts: input.counts,
    promptTokens,
    completionTokens,
    elapsedSeconds,
    completionTokensPerSecond: elapsedSeconds > 0 ? completionTokens / elapsedSeconds : 0,
  };
}
