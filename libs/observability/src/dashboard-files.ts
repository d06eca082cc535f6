import type { Dashboard, Panel, RowPanel } from '@grafana/grafana-foundation-sdk/dashboard';
import { evaluationDashboard } from './evaluation.dashboard';
import { platformDashboard } from './platform.dashboard';

/** A dashboard and the file (under helm/lemur/dashboards/) its JSON is committed to. */
export interface DashboardFile {
  file: string;
  dashboard: Dashboard;
}

/** A panel's query, as Grafana would send it. */
export interface PanelQuery {
  panel: string;
  refId: string;
  /** PromQL (`expr`) or SQL (`rawSql`), with Grafana's macros still in. */
  query: string;
}

function panelsOf(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((p) => (p.type === 'row' ? ((p as RowPanel).panels ?? []) : [p as Panel]));
}

/** Every dashboard the chart ships, with stable panel ids (1, 2, ... in layout order). */
export function dashboardFiles(): DashboardFile[] {
  return [
    { file: 'platform.json', dashboard: platformDashboard() },
    { file: 'evaluation.json', dashboard: evaluationDashboard() },
  ].map(({ file, dashboard }) => {
    (dashboard.panels ?? []).forEach((p, i) => (p.id = i + 1));
    return { file, dashboard };
  });
}

/** The JSON committed for a dashboard (2-space indent, final newline). */
export function dashboardJson(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

/** Every query of every panel (rows' nested panels included); `field` picks PromQL (`expr`) or SQL (`rawSql`). */
export function panelQueries(dashboard: Dashboard, field: 'expr' | 'rawSql'): PanelQuery[] {
  return panelsOf(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => {
      const query = (target as unknown as Record<string, unknown>)[field];
      if (typeof query !== 'string' || query === '') {
        throw new Error(`panel "${panel.title ?? '?'}" has a target without ${field}: every panel of this dashboard must use it`);
      }
      return { panel: panel.title ?? '?', refId: String((target as { refId?: string }).refId ?? ''), query };
    }),
  );
}

/** What Grafana substitutes for its macros, for running panel queries outside Grafana (tests, ad-hoc checks). */
export interface MacroValues {
  /** PromQL range for `$__rate_interval`, e.g. `1m`. */
  rateInterval: string;
  from: Date;
  to: Date;
}

/** Replaces the Grafana macros these dashboards use (`$__rate_interval`, `$__timeFilter(col)`) the way Grafana does. */
export function expandGrafanaMacros(query: string, values: MacroValues): string {
  const expanded = query
    .replaceAll('$__rate_interval', values.rateInterval)
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_, column: string) => `${column.trim()} BETWEEN '${values.from.toISOString()}' AND '${values.to.toISOString()}'`);
  const left = /\$__\w+/.exec(expanded);
  if (left) throw new Error(`no value for the Grafana macro ${left[0]} in: ${query}`);
  return expanded;
}
