import type { RegressionJson, ScheduleJson } from '../api/gateway-client';

/** One line per schedule for `lemur schedules list`. */
export function scheduleLine(s: ScheduleJson): string {
  const state = s.enabled ? `next ${s.nextRunAt ?? '-'}` : 'disabled';
  const held = s.lastSkipReason ? `  held back: ${s.lastSkipReason}` : '';
  return `${s.id}  ${s.name.padEnd(20)}  ${`${s.cron} ${s.timezone}`.padEnd(28)}  ${s.model}  ${s.benchmarks.join(',')}  baseline=${s.baseline}  ${state}  last success ${s.lastSuccessAt ?? 'never'}${held}\n`;
}

/** The regression line of `lemur runs show` for a scheduled run. */
export function regressionText(r: RegressionJson): string {
  if (!r.baselineRunId || (!r.comparable && r.note)) return `regression check: not compared (${r.note})\n`;
  const verdict = r.regressed ? 'REGRESSION' : r.significant && r.delta > 0 ? 'improved' : 'no significant drop';
  const ci = `[${r.ci[0].toFixed(3)}, ${r.ci[1].toFixed(3)}]`;
  return `regression check vs ${r.baselineRunId}: ${verdict}: delta ${r.delta >= 0 ? '+' : ''}${r.delta.toFixed(3)} ${ci}, p=${r.pValue.toPrecision(2)}, ${r.regressedItems} items regressed\n`;
}
