import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dashboardFiles, expandGrafanaMacros, panelQueries } from '@lemur/observability';
import { freePort, type TestDatabase } from '@lemur/shared-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient, RunJson } from '../src/api/gateway-client';
import type { LocalPlatform } from '../src/local/local-platform';
import { waitFinal } from './run-polling';
import { startTestPlatform, type TestPlatform } from './test-platform';

// The dashboards' queries against what really runs: a real Prometheus scrapes every service of the local platform
// during a short eval; every Platform panel must return data, and every Evaluation panel rows from the migrated database.
const PROMETHEUS = '/usr/bin/prometheus';

interface PromResponse {
  status: string;
  error?: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

describe('dashboards against a real Prometheus and the migrated database', () => {
  let t: TestPlatform;
  let db: TestDatabase;
  let home: string;
  let platform: LocalPlatform;
  let client: GatewayClient;
  let prometheus: ChildProcess | undefined;
  let prometheusUrl: string;
  let prometheusLog = '';
  const runs: RunJson[] = [];

  async function query(promql: string): Promise<PromResponse['data']['result']> {
    const response = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    const body = (await response.json()) as PromResponse;
    if (body.status !== 'success') throw new Error(`Prometheus rejected ${promql}: ${body.error}`);
    return body.data.result;
  }

  beforeAll(async () => {
    // The warm pool stays on: the Platform dashboard has panels for it, and each must show data.
    t = await startTestPlatform({ name: 'dashboards', warmPool: true });
    ({ db, home, platform, client } = t);

    const port = await freePort();
    prometheusUrl = `http://127.0.0.1:${port}`;
    const targets = [...platform.metricsTargets].map(([service, target]) => `      - targets: ['${target}']\n        labels: { service: '${service}' }`);
    writeFileSync(
      join(home, 'prometheus.yml'),
      ['global:', '  scrape_interval: 1s', '  evaluation_interval: 1s', 'scrape_configs:', '  - job_name: lemur', '    static_configs:', ...targets, ''].join('\n'),
    );
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(home, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(home, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stderr?.on('data', (chunk: Buffer) => (prometheusLog = (prometheusLog + chunk.toString()).slice(-4000)));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await fetch(`${prometheusUrl}/-/ready`).then((r) => r.ok, () => false);
      if (ready) break;
      if (Date.now() > deadline || prometheus.exitCode !== null) throw new Error(`prometheus did not start:\n${prometheusLog}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    // Every target scraped once before the eval: a series' first samples only count once Prometheus has seen it.
    for (const until = Date.now() + 30_000; ; ) {
      const up = await query('up{job="lemur"} == 1');
      if (up.length === platform.metricsTargets.size) break;
      if (Date.now() > until) throw new Error(`not every service is scraped: ${JSON.stringify(up.map((s) => s.metric))}\n${prometheusLog}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    // A short eval: HumanEval (tests run in the sandbox, twice for the oracle so its series has a previous run) and GSM8K.
    const created = await Promise.all([
      client.createRun({ model: 'sim:oracle', benchmark: 'humaneval', limit: 4 }),
      client.createRun({ model: 'sim:wrong', benchmark: 'humaneval', limit: 4 }),
      client.createRun({ model: 'sim:oracle', benchmark: 'gsm8k', limit: 6 }),
    ]);
    runs.push(...(await Promise.all(created.map((r) => waitFinal(client, r.id)))));
    // The second oracle run after a scrape (so the labelled series the first runs created are known), one sample at a
    // time so its backlog lasts across several 1 s scrapes however fast the sandbox is.
    await new Promise((r) => setTimeout(r, 1_500));
    runs.push(await waitFinal(client, (await client.createRun({ model: 'sim:oracle', benchmark: 'humaneval', limit: 24, concurrency: 1 })).id));
    // Interactive traffic over a few scrapes: time to first token is measured on streamed requests (eval samples are
    // unary calls), and a histogram's rate needs observations after its series was first scraped.
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 1_200));
      const response = await fetch(`${platform.gatewayUrl}/v1/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${platform.apiKey}` },
        body: JSON.stringify({ model: 'sim:echo', prompt: `count to ${i + 3}:`, max_tokens: 16, stream: true }),
      });
      const text = await response.text();
      expect(response.status, text).toBe(200);
      expect(text).toContain('data: [DONE]');
    }
    // Let Prometheus scrape the final counts (1 s interval).
    await new Promise((r) => setTimeout(r, 3_000));
  }, 300_000);

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus!.once('exit', r));
      prometheus.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
    }
    await t?.stop();
  }, 60_000);

  it('ran the short eval to the end', () => {
    expect(runs.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
  });

  it('scrapes every service of the platform', async () => {
    const up = await query('up{job="lemur"}');
    const byService = Object.fromEntries(up.map((s) => [s.metric['service'], s.value[1]]));
    expect(Object.keys(byService).sort()).toEqual([...platform.metricsTargets.keys()].sort());
    for (const [service, value] of Object.entries(byService)) expect(value, `${service} is not scraped\n${prometheusLog}`).toBe('1');
  });

  it('returns data for every query of every Platform panel', async () => {
    const platformDashboard = dashboardFiles().find((f) => f.file === 'platform.json')!.dashboard;
    const queries = panelQueries(platformDashboard, 'expr');
    expect(queries.length).toBeGreaterThanOrEqual(15);
    const empty: string[] = [];
    for (const q of queries) {
      const promql = expandGrafanaMacros(q.query, { rateInterval: '5m', from: new Date(Date.now() - 3_600_000), to: new Date() });
      const result = await query(promql);
      const finite = result.filter((s) => Number.isFinite(Number(s.value[1])));
      if (finite.length === 0) empty.push(`${q.panel} [${q.refId}]: ${promql} -> ${JSON.stringify(result)}`);
    }
    expect(empty, 'panels without data').toEqual([]);
  });

  it('saw a real backlog, real tokens and the sandboxed HumanEval tests during the eval', async () => {
    const [backlog] = await query('max_over_time(sum(lemur_eval_backlog_samples)[10m:1s])');
    expect(Number(backlog?.value[1])).toBeGreaterThan(0);
    // Every HumanEval sample (3 runs of 4) ran its tests in the sandbox: the oracle's pass, the wrong answers fail.
    const outcomes = await query('sum by (outcome) (lemur_sandbox_runs_total{mode="execute"})');
    const byOutcome = Object.fromEntries(outcomes.map((s) => [s.metric['outcome'], Number(s.value[1])]));
    expect(byOutcome['ok'], JSON.stringify(byOutcome)).toBeGreaterThanOrEqual(8);
    expect(byOutcome['error'], JSON.stringify(byOutcome)).toBeGreaterThanOrEqual(4);
    const [tokens] = await query('sum(increase(lemur_inference_completion_tokens_total[10m]))');
    expect(Number(tokens?.value[1])).toBeGreaterThan(0);
  });

  it('returns rows for every Evaluation panel from the migrated database', async () => {
    const evaluation = dashboardFiles().find((f) => f.file === 'evaluation.json')!.dashboard;
    const queries = panelQueries(evaluation, 'rawSql');
    expect(queries.length).toBe(5);
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      for (const q of queries) {
        const text = expandGrafanaMacros(q.query, { rateInterval: '1m', from: new Date(Date.now() - 3_600_000), to: new Date(Date.now() + 60_000) });
        const { rows } = await sql.query(text);
        expect(rows.length, `${q.panel}: ${text}`).toBeGreaterThan(0);
      }
      // The scores are the runs' own: the oracle scores 1 with its CI, the wrong model 0.
      const { rows } = await sql.query<{ model: string; benchmark: string; score: number; ci_low: number; ci_high: number; n: number }>(
        'SELECT model, benchmark, score, ci_low, ci_high, n FROM v_run_scores WHERE run_id = ANY($1::uuid[]) ORDER BY finished_at',
        [runs.map((r) => r.id)],
      );
      expect(rows).toHaveLength(4);
      for (const row of rows) {
        expect(row.score).toBe(row.model === 'sim:wrong' ? 0 : 1);
        expect(row.ci_low).toBeLessThanOrEqual(row.score);
        expect(row.ci_high).toBeGreaterThanOrEqual(row.score);
      }
      const latest = await sql.query<{ run_id: string; previous_run_id: string; regressed: boolean }>(
        "SELECT run_id, previous_run_id, regressed FROM v_regressions WHERE is_latest AND model = 'sim:oracle' AND benchmark = 'humaneval'",
      );
      expect(latest.rows).toEqual([{ run_id: runs[3]!.id, previous_run_id: runs[0]!.id, regressed: false }]);
    } finally {
      await sql.end();
    }
  });
});
