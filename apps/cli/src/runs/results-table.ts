import type { MetricJson, RunJson } from '../api/gateway-client';

/** The one JSON object `--json` prints for a run. */
const metricsJson = (metrics: MetricJson[]) => Object.fromEntries(metrics.map((m) => [m.name, { value: m.value, ci95: m.ci, n: m.n, method: m.method }]));

export function runResultJson(run: RunJson) {
  const summary = run.summary;
  return {
    runId: run.id,
    model: run.model,
    benchmark: `${run.benchmark}@${run.benchmarkVersion}`,
    status: run.status,
    metrics: metricsJson(summary?.metrics ?? []),
    ...(summary?.groups ? { groups: Object.fromEntries(summary.groups.map((g) => [g.name, metricsJson(g.metrics)])) } : {}),
    samples: summary?.counts.total ?? 0,
    scored: summary?.counts.scored ?? 0,
    errors: summary?.counts.errored ?? 0,
    elapsedSeconds: summary?.elapsedSeconds ?? 0,
    completionTokensPerSecond: summary?.completionTokensPerSecond ?? 0,
    ...(run.error ? { error: run.error } : {}),
  };
}

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return cells.map((row) => row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')).join('\n');
}

/** A plain-text results table: one row per run and metric. */
export function resultsTable(runs: RunJson[]): string {
  const header = ['benchmark', 'model', 'metric', 'score', '95% CI', 'samples', 'errors', 'time', 'tokens/s'];
  const rows: string[][] = [header];
  for (const run of runs) {
    const s = run.summary;
    const metrics = s?.metrics.length ? s.metrics : [undefined];
    for (const m of metrics) {
      rows.push([
        run.benchmark,
        run.model,
        m?.name ?? run.status,
        m ? m.value.toFixed(3) : '-',
        m ? `[${m.ci[0].toFixed(3)}, ${m.ci[1].toFixed(3)}]` : '-',
        String(s?.counts.total ?? 0),
        String(s?.counts.errored ?? 0),
        `${(s?.elapsedSeconds ?? 0).toFixed(1)}s`,
        (s?.completionTokensPerSecond ?? 0).toFixed(0),
      ]);
    }
  }
  return pad(rows);
}

/** The run's metric per group of items (Spider's hardness, MMLU's subject, BBH's task), or '' when it has no groups. */
export function groupsTable(run: RunJson): string {
  const groups = run.summary?.groups;
  if (!groups?.length) return '';
  const rows: string[][] = [['group', 'metric', 'score', '95% CI', 'n']];
  for (const g of groups) {
    for (const m of g.metrics.length ? g.metrics : [undefined]) {
      rows.push([g.name, m?.name ?? '-', m ? m.value.toFixed(3) : '-', m ? `[${m.ci[0].toFixed(3)}, ${m.ci[1].toFixed(3)}]` : '-', String(m?.n ?? 0)]);
    }
  }
  return `${pad(rows)}\n`;
}
