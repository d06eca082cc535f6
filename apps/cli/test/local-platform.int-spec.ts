import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayClient, type RunJson } from '../src/api/gateway-client';
import { loadCliEnvironment, type CliEnvironment } from '../src/config/cli.config';
import { LocalPlatform } from '../src/local/local-platform';

const execFileAsync = promisify(execFile);
const repoRoot = resolve(__dirname, '../../..');

async function waitFinal(client: GatewayClient, id: string, timeoutMs = 240_000): Promise<RunJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await client.getRun(id);
    if (['succeeded', 'failed', 'cancelled'].includes(run.status)) return run;
    if (Date.now() > deadline) throw new Error(`run ${id} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function metric(run: RunJson, name: string) {
  const found = run.summary?.metrics.find((m) => m.name === name);
  if (!found) throw new Error(`run ${run.id} has no ${name}: ${JSON.stringify(run.summary)}`);
  return found;
}

describe('the local platform, end to end through real services', () => {
  let db: TestDatabase;
  let home: string;
  let env: CliEnvironment;
  let platform: LocalPlatform;
  let client: GatewayClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    home = mkdtempSync(join(tmpdir(), 'lemur-e2e-'));
    const base = loadCliEnvironment();
    env = {
      ...base,
      databaseUrl: db.url,
      home,
      // A killed worker's jobs come back after 3 s instead of the production 15 min.
      passthrough: { ...process.env, LOG_LEVEL: 'info', EVAL_JOB_EXPIRE_SECONDS: '3', EVAL_QUEUE_MAINTENANCE_SECONDS: '1' },
    };
    platform = await LocalPlatform.start({ env, gatewayPort: 0, workers: 1, log: () => undefined });
    client = new GatewayClient(platform.gatewayUrl);
  }, 180_000);

  afterAll(async () => {
    await platform?.stop();
    await db?.drop();
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  it('scores the oracle 164/164 on HumanEval (tests run in the sandbox) and 1319/1319 on GSM8K', async () => {
    const humaneval = await client.createRun({ model: 'sim:oracle', benchmark: 'humaneval' });
    const gsm8k = await client.createRun({ model: 'sim:oracle', benchmark: 'gsm8k' });
    const [he, gs] = await Promise.all([waitFinal(client, humaneval.id), waitFinal(client, gsm8k.id)]);
    expect(he.status).toBe('succeeded');
    expect(he.summary?.counts).toMatchObject({ total: 164, scored: 164, errored: 0, pending: 0 });
    expect(metric(he, 'pass@1').value).toBe(1);
    expect(gs.status).toBe('succeeded');
    expect(gs.summary?.counts).toMatchObject({ total: 1319, scored: 1319, errored: 0, pending: 0 });
    expect(metric(gs, 'accuracy').value).toBe(1);
    expect(metric(gs, 'accuracy').ci[0]).toBeGreaterThan(0.99);
  }, 300_000);

  it('scores plausible wrong answers 0 on both benchmarks', async () => {
    const humaneval = await client.createRun({ model: 'sim:wrong', benchmark: 'humaneval' });
    const gsm8k = await client.createRun({ model: 'sim:wrong', benchmark: 'gsm8k' });
    const [he, gs] = await Promise.all([waitFinal(client, humaneval.id), waitFinal(client, gsm8k.id)]);
    expect(he.summary?.counts).toMatchObject({ total: 164, scored: 164, errored: 0 });
    expect(metric(he, 'pass@1').value).toBe(0);
    expect(gs.summary?.counts).toMatchObject({ total: 1319, scored: 1319, errored: 0 });
    expect(metric(gs, 'accuracy').value).toBe(0);
  }, 300_000);

  it('finishes a run whose worker was killed mid-run, every sample scored exactly once', async () => {
    const run = await client.createRun({ model: 'sim:oracle', benchmark: 'gsm8k', limit: 300, concurrency: 8 });
    for (;;) {
      const now = await client.getRun(run.id);
      if ((now.summary?.counts.scored ?? 0) >= 30) break;
      expect(now.status).not.toBe('succeeded');
      await new Promise((r) => setTimeout(r, 50));
    }
    const worker = [...platform.services.values()].find((s) => s.name.startsWith('eval-worker') && s.running)!;
    await worker.kill();
    const atKill = await client.getRun(run.id);
    expect(atKill.summary!.counts.pending).toBeGreaterThan(0);
    await platform.startWorker();
    const done = await waitFinal(client, run.id, 120_000);
    expect(done.status).toBe('succeeded');
    expect(done.summary?.counts).toMatchObject({ total: 300, scored: 300, errored: 0, pending: 0 });
    expect(metric(done, 'accuracy').value).toBe(1);
    // Exactly once: one stored result per (item, sample), none written twice (a second write would need a pending row).
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      const { rows } = await sql.query<{ n: string; distinct_items: string; retried: string }>(
        `SELECT count(*) AS n, count(DISTINCT item_index) AS distinct_items, count(*) FILTER (WHERE attempts > 1) AS retried
           FROM sample WHERE run_id = $1 AND status = 'SCORED'`,
        [run.id],
      );
      expect(rows[0]).toMatchObject({ n: '300', distinct_items: '300' });
      // Samples in flight when the worker died were taken again by the new worker.
      expect(Number(rows[0]!.retried)).toBeGreaterThan(0);
    } finally {
      await sql.end();
    }
  }, 240_000);

  it('keeps at most `concurrency` samples of a run in flight, and uses them', async () => {
    const run = await client.createRun({ model: 'sim:oracle', benchmark: 'gsm8k', limit: 60, concurrency: 3 });
    const done = await waitFinal(client, run.id);
    expect(done.summary?.counts.scored).toBe(60);
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      // Peak overlap of the samples' [claimed, stored] intervals.
      const { rows } = await sql.query<{ peak: number }>(
        `WITH edges AS (
           SELECT started_at AS at, 1 AS delta FROM sample WHERE run_id = $1
           UNION ALL SELECT finished_at, -1 FROM sample WHERE run_id = $1)
         SELECT max(running)::int AS peak FROM (
           SELECT sum(delta) OVER (ORDER BY at, delta) AS running FROM edges) t`,
        [run.id],
      );
      expect(rows[0]!.peak).toBeLessThanOrEqual(3);
      expect(rows[0]!.peak).toBeGreaterThanOrEqual(2);
    } finally {
      await sql.end();
    }
  }, 120_000);

  it('scores MBPP reference programs 1.0 and wrong ones 0 through the sandbox', async () => {
    const oracle = await client.createRun({ model: 'sim:oracle', benchmark: 'mbpp', limit: 60 });
    const wrong = await client.createRun({ model: 'sim:wrong', benchmark: 'mbpp', limit: 60 });
    const [good, bad] = await Promise.all([waitFinal(client, oracle.id), waitFinal(client, wrong.id)]);
    expect(good.summary?.counts).toMatchObject({ total: 60, scored: 60, errored: 0 });
    expect(metric(good, 'pass@1').value).toBe(1);
    expect(metric(bad, 'pass@1').value).toBe(0);
  }, 120_000);

  it('scores chat-API answers too (HumanEval code extracted from a fenced block, no completion stop strings)', async () => {
    const run = await client.createRun({ model: 'sim:oracle', benchmark: 'humaneval', limit: 20, chat: true });
    const done = await waitFinal(client, run.id);
    expect(done.summary?.counts).toMatchObject({ total: 20, scored: 20, errored: 0 });
    expect(metric(done, 'pass@1').value).toBe(1);
  }, 120_000);

  it('rejects bad input with a clear error and stores nothing', async () => {
    const before = (await client.listRuns(500)).runs.length;
    const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      fetch(`${platform.gatewayUrl}/v1/runs`, { method: 'POST', headers, body });
    const cases: [string, number, RegExp][] = [
      [JSON.stringify({ model: 'sim:oracle', benchmark: 'nope' }), 404, /unknown benchmark "nope"/],
      [JSON.stringify({ model: 'gpt-17', benchmark: 'gsm8k' }), 404, /unknown model "gpt-17"/],
      [JSON.stringify({ model: 'sim:oracle', benchmark: 'gsm8k', limit: -1 }), 400, /limit/],
      [JSON.stringify({ model: 'sim:oracle', benchmark: 'gsm8k', limit: 99999 }), 400, /limit/],
      ['{"model": "sim:oracle", ', 400, /JSON/i],
      [JSON.stringify({ model: 'sim:oracle', benchmark: 'gsm8k', wat: 1 }), 400, /unknown field/],
    ];
    for (const [body, status, message] of cases) {
      const response = await post(body);
      const text = await response.text();
      expect(response.status, text).toBe(status);
      const error = (JSON.parse(text) as { error: { code: string; message: string } }).error;
      expect(error.message).toMatch(message);
    }
    expect((await client.listRuns(500)).runs.length).toBe(before);
  }, 60_000);

  it('runs from the CLI with --json against the running gateway', async () => {
    const { stdout } = await execFileAsync(
      join(repoRoot, 'bin/lemur'),
      ['run', '--model', 'sim:wrong', '--benchmark', 'gsm8k', '--limit', '7', '--json', '--server', platform.gatewayUrl],
      { cwd: repoRoot, env: { ...process.env, LEMUR_HOME: home } },
    );
    const result = JSON.parse(stdout) as Record<string, unknown>;
    expect(result).toMatchObject({
      model: 'sim:wrong',
      benchmark: 'gsm8k@1.0.0',
      status: 'succeeded',
      samples: 7,
      errors: 0,
      metrics: { accuracy: { value: 0 } },
    });
    expect(typeof result.runId).toBe('string');
    const cli = (...args: string[]) =>
      execFileAsync(join(repoRoot, 'bin/lemur'), [...args, '--server', platform.gatewayUrl], { cwd: repoRoot, env: { ...process.env, LEMUR_HOME: home } });
    const shown = JSON.parse((await cli('runs', 'show', String(result.runId), '--json')).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ runId: result.runId, samples: 7 });
    const listed = JSON.parse((await cli('runs', 'list', '--limit', '3', '--json')).stdout) as { runId: string }[];
    expect(listed[0]!.runId).toBe(result.runId);
  }, 60_000);

  it('evaluates a scripted simulator model from a rules file, starting its own local platform', async () => {
    const rules = join(home, 'rules.jsonl');
    writeFileSync(
      rules,
      [
        JSON.stringify({ match: 'Janet', completion: ' She sells 16 - 3 - 4 = 9 eggs for $18. So the answer is 18.' }),
        JSON.stringify({ match: '/robe takes \\d+ bolts/i', completion: ' So the answer is 4.' }),
      ].join('\n'),
    );
    // Its own database: the workers of the platform above would take this run's samples, and they do not serve this model.
    const own = await createTestDatabase();
    const { stdout } = await execFileAsync(
      join(repoRoot, 'bin/lemur'),
      ['run', '--model', `sim:scripted=${rules}`, '--benchmark', 'gsm8k', '--limit', '3', '--json'],
      { cwd: repoRoot, env: { ...process.env, DATABASE_URL: own.url, LEMUR_HOME: home } },
    ).finally(() => own.drop());
    const result = JSON.parse(stdout) as { metrics: { accuracy: { value: number } }; samples: number; errors: number };
    // Janet's ducks (18) is right, the robe (3, not 4) is wrong, the third item matches no rule.
    expect(result).toMatchObject({ samples: 3, errors: 0 });
    expect(result.metrics.accuracy.value).toBeCloseTo(1 / 3, 10);
  }, 120_000);

  it('explains bad CLI flags without touching the platform', async () => {
    const failure = await execFileAsync(join(repoRoot, 'bin/lemur'), ['run', '--model', 'sim:oracle', '--benchmark', 'gsm8k', '--limit', '-3'], {
      cwd: repoRoot,
    }).catch((err: { code: number; stderr: string }) => err);
    expect((failure as { code: number }).code).not.toBe(0);
    expect((failure as { stderr: string }).stderr).toMatch(/--limit must be a whole number between 0/);
  }, 30_000);
});
