import type { SuiteRunJson } from '../api/gateway-client';
import { runResultJson } from '../runs/results-table';

/** Exit status of a suite command: 1 when a run failed, 4 when members were skipped or unavailable, else 0. */
export function suiteExitCode(s: SuiteRunJson): number {
  if (s.members.some((m) => m.run !== null && m.run.status === 'failed')) return 1;
  if (s.members.some((m) => m.state !== 'started')) return 4;
  return 0;
}

/** The one JSON object `--json` prints for a suite run. */
export function suiteResultJson(s: SuiteRunJson) {
  return {
    suiteRunId: s.id,
    suite: s.suite,
    model: s.model,
    feedbackModel: s.feedbackModel,
    limit: s.limit,
    started: s.members.filter((m) => m.state === 'started').length,
    skipped: s.members.filter((m) => m.state === 'skipped').map((m) => ({ key: m.key, reason: m.reason })),
    unavailable: s.members.filter((m) => m.state === 'unavailable').map((m) => ({ key: m.key, reason: m.reason })),
    members: s.members.map((m) => ({ key: m.key, state: m.state, ...(m.reason ? { reason: m.reason } : {}), ...(m.run ? { run: runResultJson(m.run) } : {}) })),
    axes: s.axes.map((a) => ({ name: a.name, value: a.value, n: a.n, missing: a.missing })),
  };
}

const pct = (v: number | null) => (v === null ? '-' : (v * 100).toFixed(1));

/** A plain-text view: one line per member (state, score, samples, errors, reason) and one per aggregate axis. */
export function suiteText(s: SuiteRunJson): string {
  const lines = [`suite ${s.suite} (${s.id}) on ${s.model}${s.feedbackModel ? `, feedback from ${s.feedbackModel}` : ''}${s.limit ? `, first ${s.limit} items each` : ''}`];
  const width = Math.max(...s.members.map((m) => m.key.length), 9);
  for (const m of s.members) {
    if (!m.run) {
      lines.push(`  ${m.key.padEnd(width)}  ${m.state.padEnd(11)}  ${m.reason ?? ''}`);
      continue;
    }
    const metric = m.run.summary?.metrics[0];
    const counts = m.run.summary?.counts;
    const score = metric ? `${metric.name}=${metric.value.toFixed(3)} [${metric.ci[0].toFixed(3)}, ${metric.ci[1].toFixed(3)}]` : '-';
    lines.push(`  ${m.key.padEnd(width)}  ${m.run.status.padEnd(11)}  ${score}  samples ${counts?.total ?? 0}  errors ${counts?.errored ?? 0}  run ${m.run.id}`);
  }
  lines.push('axes (instance-weighted, finished members only):');
  for (const a of s.axes) {
    const partial = a.missing.length > 0 ? `  partial, missing: ${a.missing.join(', ')}` : '';
    lines.push(`  ${a.label.padEnd(48)}  ${pct(a.value).padStart(5)}  n=${a.n}${partial}`);
  }
  const notRun = s.members.filter((m) => m.state !== 'started').length;
  if (notRun > 0) lines.push(`${notRun} member(s) not run: see the reasons above (exit status 4)`);
  return `${lines.join('\n')}\n`;
}
