import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations, dropDatabase, ensureDatabase, withDatabaseName } from '../src/index';

// The views the Evaluation dashboard reads (migration 20261203140000_added_dashboard_views), on hand-made runs.
const serverUrl = process.env['TEST_DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const url = withDatabaseName(serverUrl, `lemur_test_db_${randomBytes(6).toString('hex')}`);
let sql: pg.Client;

interface RunSeed {
  model: string;
  benchmark?: string;
  status?: 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'RUNNING';
  /** Minutes after 2026-12-01T00:00Z the run was created; it starts 1 minute later and runs `minutes`. */
  at: number;
  minutes?: number;
  score?: [value: number, low: number, high: number, n: number];
  team?: string;
}

async function seed(run: RunSeed): Promise<string> {
  const team = run.team ?? 'core';
  const { rows: teams } = await sql.query<{ id: string }>(
    `INSERT INTO team (id, name) VALUES (gen_random_uuid(), $1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
    [team],
  );
  const created = new Date(Date.UTC(2026, 11, 1) + run.at * 60_000);
  const started = new Date(created.getTime() + 60_000);
  const status = run.status ?? 'SUCCEEDED';
  const finished = status === 'RUNNING' ? null : new Date(started.getTime() + (run.minutes ?? 10) * 60_000);
  const summary = run.score
    ? {
        metrics: [{ name: 'pass@1', value: run.score[0], ci: [run.score[1], run.score[2]], n: run.score[3], method: 'wilson' }],
        counts: { total: run.score[3], pending: 0, scored: run.score[3], errored: 0, cancelled: 0 },
      }
    : null;
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO run (id, team_id, model_name, benchmark, benchmark_version, config, spec, status, summary, total_samples,
                      created_at, started_at, finished_at)
     VALUES (gen_random_uuid(), $1, $2, $3, '1.0.0', '{}', '{}', $4, $5, 100, $6, $7, $8) RETURNING id`,
    [teams[0]!.id, run.model, run.benchmark ?? 'humaneval', status, summary, created, started, finished],
  );
  return rows[0]!.id;
}

beforeAll(async () => {
  await ensureDatabase(url);
  await applyMigrations(url);
  sql = new pg.Client({ connectionString: url });
  await sql.connect();
});

afterAll(async () => {
  await sql?.end();
  await dropDatabase(url);
});

describe('dashboard views', () => {
  it('v_run_scores has the headline metric and CI of succeeded runs only', async () => {
    const ok = await seed({ model: 'scores-a', at: 0, score: [0.62, 0.55, 0.69, 164] });
    await seed({ model: 'scores-a', at: 20, status: 'FAILED' });
    await seed({ model: 'scores-a', at: 40, status: 'RUNNING', score: [0.5, 0.4, 0.6, 10] });
    const { rows } = await sql.query("SELECT * FROM v_run_scores WHERE model = 'scores-a'");
    expect(rows).toEqual([
      expect.objectContaining({
        run_id: ok,
        team: 'core',
        benchmark: 'humaneval',
        benchmark_version: '1.0.0',
        metric: 'pass@1',
        score: 0.62,
        ci_low: 0.55,
        ci_high: 0.69,
        n: 164,
        scored_samples: 164,
        errored_samples: 0,
      }),
    ]);
  });

  it('v_run_durations times every finished run, whatever its status', async () => {
    const done = await seed({ model: 'durations', at: 0, minutes: 10 });
    const failed = await seed({ model: 'durations', at: 30, minutes: 2, status: 'FAILED' });
    await seed({ model: 'durations', at: 60, status: 'RUNNING' });
    const { rows } = await sql.query(
      "SELECT run_id, status, queued_seconds, duration_seconds, samples_per_second FROM v_run_durations WHERE model = 'durations' ORDER BY created_at",
    );
    expect(rows).toEqual([
      { run_id: done, status: 'SUCCEEDED', queued_seconds: 60, duration_seconds: 600, samples_per_second: 100 / 600 },
      { run_id: failed, status: 'FAILED', queued_seconds: 60, duration_seconds: 120, samples_per_second: 100 / 120 },
    ]);
  });

  it('v_regressions flags a drop beyond both CIs, not one inside them, and marks each series latest run', async () => {
    const first = await seed({ model: 'reg', at: 0, score: [0.8, 0.75, 0.85, 500] });
    const within = await seed({ model: 'reg', at: 20, score: [0.78, 0.73, 0.83, 500] });
    const drop = await seed({ model: 'reg', at: 40, score: [0.6, 0.55, 0.65, 500] });
    // Another team's and another benchmark's runs are other series.
    const otherTeam = await seed({ model: 'reg', at: 50, team: 'other', score: [0.1, 0.05, 0.15, 500] });
    const otherBench = await seed({ model: 'reg', at: 60, benchmark: 'gsm8k', score: [0.9, 0.88, 0.92, 1319] });
    const { rows } = await sql.query(
      "SELECT run_id, previous_run_id, previous_score, score, delta, regressed, is_latest FROM v_regressions WHERE model = 'reg' ORDER BY finished_at",
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ run_id: within, previous_run_id: first, previous_score: 0.8, score: 0.78, regressed: false, is_latest: false });
    expect(rows[0].delta).toBeCloseTo(-0.02, 10);
    expect(rows[1]).toMatchObject({ run_id: drop, previous_run_id: within, previous_score: 0.78, score: 0.6, regressed: true, is_latest: true });
    expect(rows.map((r: { run_id: string }) => r.run_id)).not.toContain(otherTeam);
    expect(rows.map((r: { run_id: string }) => r.run_id)).not.toContain(otherBench);
  });

  it('does not flag an improvement', async () => {
    await seed({ model: 'better', at: 0, score: [0.2, 0.15, 0.25, 500] });
    const up = await seed({ model: 'better', at: 20, score: [0.9, 0.87, 0.93, 500] });
    const { rows } = await sql.query("SELECT run_id, regressed FROM v_regressions WHERE model = 'better'");
    expect(rows).toEqual([{ run_id: up, regressed: false }]);
  });
});
