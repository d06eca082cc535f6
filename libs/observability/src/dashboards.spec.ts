import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboardFiles, dashboardJson, expandGrafanaMacros, panelQueries } from './dashboard-files';

const committedDir = join(__dirname, '../../../helm/lemur/dashboards');
const appsDir = join(__dirname, '../../../apps');

describe('dashboards as code', () => {
  it.each(dashboardFiles().map((f) => [f.file, f] as const))('helm/lemur/dashboards/%s is what the code builds', (file, { dashboard }) => {
    const committed = readFileSync(join(committedDir, file), 'utf8');
    expect(committed, 'run: npx tsx scripts/build-dashboards.ts').toBe(dashboardJson(dashboard));
  });

  it('gives every dashboard a unique uid and every panel a unique id, title and a query', () => {
    const files = dashboardFiles();
    expect(new Set(files.map((f) => f.dashboard.uid)).size).toBe(files.length);
    for (const { dashboard } of files) {
      const ids = (dashboard.panels ?? []).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
      const nonRows = (dashboard.panels ?? []).filter((p) => p.type !== 'row');
      expect(nonRows.length).toBeGreaterThan(3);
      for (const panel of nonRows) expect((panel as { targets?: unknown[] }).targets?.length, String(panel.title)).toBeGreaterThan(0);
    }
  });

  it('queries Prometheus for the Platform dashboard and only the stable views for the Evaluation dashboard', () => {
    const [platform, evaluation] = dashboardFiles().map((f) => f.dashboard);
    const prom = panelQueries(platform!, 'expr');
    expect(prom.length).toBeGreaterThanOrEqual(15);
    // Every metric a panel reads is declared by an app (histograms by their base name); vLLM's gauge comes from the engines.
    const declared = new Set<string>();
    for (const file of readdirSync(appsDir, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.includes('.spec.') || file.includes('/test/')) continue;
      for (const m of readFileSync(join(appsDir, file), 'utf8').matchAll(/'((?:lemur_|vllm:)[a-z_:]+)'/g)) declared.add(m[1]!);
    }
    const used = new Set(prom.flatMap(({ query }) => query.match(/\b(?:lemur_[a-z_]+|vllm:[a-z_]+)/g) ?? []));
    expect(used.size).toBeGreaterThan(15);
    for (const name of used) expect(declared, `${name} is not declared in apps/`).toContain(name.replace(/_bucket$/, ''));
    const sql = panelQueries(evaluation!, 'rawSql');
    expect(sql.length).toBe(5);
    for (const { query } of sql) {
      const tables = [...query.matchAll(/\bFROM\s+(\w+)/gi)].map((m) => m[1]);
      expect(tables.length).toBeGreaterThan(0);
      for (const table of tables) expect(table).toMatch(/^v_(run_scores|run_durations|regressions)$/);
    }
    expect(() => panelQueries(platform!, 'rawSql')).toThrow(/without rawSql/);
  });
});

describe('expandGrafanaMacros', () => {
  const values = { rateInterval: '1m', from: new Date('2026-12-01T00:00:00Z'), to: new Date('2026-12-02T00:00:00Z') };

  it('fills the rate window and time filters as Grafana does', () => {
    expect(expandGrafanaMacros('rate(x[$__rate_interval]) + rate(y[$__rate_interval])', values)).toBe('rate(x[1m]) + rate(y[1m])');
    expect(expandGrafanaMacros('WHERE $__timeFilter( finished_at ) AND $__timeFilter(created_at)', values)).toBe(
      "WHERE finished_at BETWEEN '2026-12-01T00:00:00.000Z' AND '2026-12-02T00:00:00.000Z' AND created_at BETWEEN '2026-12-01T00:00:00.000Z' AND '2026-12-02T00:00:00.000Z'",
    );
  });

  it('refuses a macro it cannot fill', () => {
    expect(() => expandGrafanaMacros('rate(x[$__interval])', values)).toThrow(/no value for the Grafana macro \$__interval/);
  });
});
