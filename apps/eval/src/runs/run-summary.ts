import { passAtK, summarizeMetric, type MetricSummary } from '@lemur/stats';

/** A finished sample as the summary needs it; `score` null means unscored (errored), which never counts as a 0. */
export interface ScoredSampleRow {
  itemIndex: number;
  score: number | null;
  passed: boolean | null;
  promptTokens: number | null;
  completionTokens: number | null;
}

export interface RunSummaryData {
  metrics: MetricSummary[];
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
  let metrics: MetricSummary[] = [];
  if (byItem.size > 0) {
    if (input.metric === 'pass@k') {
      metrics = passAtKMetrics(byItem, input.samplesPerItem);
    } else {
      const perItem = [...byItem.values()].map((rows) => rows.reduce((sum, r) => sum + (r.score ?? 0), 0) / rows.length);
      metrics = [summarizeMetric('accuracy', perItem)];
    }
  }
  const end = input.finishedAt ?? input.now;
  const elapsedSeconds = input.startedAt ? Math.max(0, (end.getTime() - input.startedAt.getTime()) / 1000) : 0;
  return {
    metrics,
    counts: input.counts,
    promptTokens,
    completionTokens,
    elapsedSeconds,
    completionTokensPerSecond: elapsedSeconds > 0 ? completionTokens / elapsedSeconds : 0,
  };
}
