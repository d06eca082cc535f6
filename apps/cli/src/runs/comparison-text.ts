import type { ComparisonJson } from '../api/gateway-client';

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const signed = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} pts`;
const LISTED = 10;

/** True when B is significantly worse than A: what `--fail-on-regression` exits non-zero for. */
export function isRegression(c: ComparisonJson): boolean {
  return c.significant && c.delta < 0;
}

/** A comparison as a person reads it: the verdict first, then the evidence, then what differs. */
export function comparisonText(c: ComparisonJson): string {
  const verdict = !c.comparable
    ? 'NOT COMPARABLE: the runs used different data or prompts (see below)'
    : c.significant
      ? c.delta > 0
        ? 'B is significantly better'
        : 'B is significantly worse (regression)'
      : 'no significant difference';
  const lines = [
    `${c.benchmark}: A ${c.a}  vs  B ${c.b}`,
    `${verdict}`,
    `  ${c.metric}: A ${pct(c.meanA)}  B ${pct(c.meanB)}  delta ${signed(c.delta)}  ${Math.round(100 * c.confidence)}% CI [${signed(c.ci[0])}, ${signed(c.ci[1])}]`,
    `  paired bootstrap p=${c.bootstrapPValue.toPrecision(3)}${c.mcnemar ? `  McNemar p=${c.mcnemar.pValue.toPrecision(3)}` : ''}`,
    `  ${c.sharedItems} shared items${c.onlyInA || c.onlyInB ? ` (${c.onlyInA} only in A, ${c.onlyInB} only in B: errored or not run)` : ''}`,
    `  improved ${c.improved.count}: ${list(c.improved.items, c.improved.count)}`,
    `  regressed ${c.regressed.count}: ${list(c.regressed.items, c.regressed.count)}`,
  ];
  if (c.differences.length > 0) {
    lines.push('differences:');
    for (const d of c.differences) lines.push(`  ${d.field}${d.breaksComparability ? ' (breaks comparability)' : ''}: A ${d.a}  B ${d.b}`);
  }
  return `${lines.join('\n')}\n`;
}

function list(items: string[], count: number): string {
  if (count === 0) return '-';
  const shown = items.slice(0, LISTED).join(', ');
  return count > LISTED ? `${shown}, ... (${count - LISTED} more; --json lists up to 1000)` : shown;
}
