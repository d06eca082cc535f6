import { execFile } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient, RunJson } from '../src/api/gateway-client';
import type { LocalPlatform } from '../src/local/local-platform';
import { waitFinal } from './run-polling';
import { startTestPlatform, type TestPlatform } from './test-platform';

const execFileAsync = promisify(execFile);
const repoRoot = resolve(__dirname, '../../..');

function metric(run: RunJson, name: string) {
  const found = run.summary?.metrics.find((m) => m.name === name);
  if (!found) throw new Error(`run ${run.id} has no ${name}: ${JSON.stringify(run.summary)}`);
  return found;
}

describe('the local platform, end to end through real services', () => {
  let t: TestPlatform;
  let db: TestDatabase;
  let home: string;
  let platform: LocalPlatform;
  let client: GatewayClient;

  beforeAll(async () => {
    // The warm sandbox pool stays on here: this is the platform as `lemur demo` runs it. A killed worker's jobs come
    // back after 3 s instead of the production 15 min.
    t = await startTestPlatform({ name: 'e2e', warmPool: true, env: { EVAL_JOB_EXPIRE_SECONDS: '3', EVAL_QUEUE_MAINTENANCE_SECONDS: '1' } });
    ({ db, home, platform, client } = t);
  }, 180_000);

  afterAll(() => t?.stop(), 60_000);

  it('scores the oracle 164/164 on HumanEval (tests run in the sandbox) and 1319/1319 on GSM8K', async () => {
    const humaneval = await client.createRun({ model: 'sim:oracle', benchmark: 'humaneval' });
    const gsm8k = await client.createRun({ model: 'sim:oracle', benchmark: 'gsm8k' });
    const [he, gs] = await Promise.all([waitFinal(client, humaneval.id, 400_000), waitFinal(client, gsm8k.id, 400_000)]);
    expect(he.status).toBe('succeeded');
    expect(he.summary?.counts).toMatchObject({ total: 164, scored: 164, errored: 0, pending: 0 });
    expect(metric(he, 'pass@1').value).toBe(1);
    expect(gs.status).toBe('succeeded');
    expect(gs.summary?.counts).toMatchObject({ total: 1319, scored: 1319, errored: 0, pending: 0 });
    expect(metric(gs, 'accuracy').value).toBe(1);
    expect(metric(gs, 'accuracy').ci[0]).toBeGreaterThan(0.99);
  }, 420_000);

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
    // A seed no earlier run used: the first test's GSM8K answers sit in the response cache, and cached samples finish so
    // fast that nothing may be in flight when the kill lands.
    const seed = 1 + Math.floor(Math.random() * 1_000_000_000);
    const run = await client.createRun({ model: 'sim:oracle', benchmark: 'gsm8k', limit: 300, concurrency: 8, seed });
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    // Samples a worker has claimed and not yet stored: what a kill leaves behind for another worker.
    const claimedUnfinished = async () =>
      Number(
        (await sql.query<{ n: string }>(`SELECT count(*) AS n FROM sample WHERE run_id = $1 AND status = 'PENDING' AND attempts >= 1`, [run.id]))
          .rows[0]!.n,
      );
    // A kill lands mid-sample only if some sample is still in flight at the instant of the SIGKILL; on a busy machine
    // the claimed samples can all finish between the look and the kill. Such a kill proves nothing, so the worker is
    // started again and killed again (at most 5 times) until one kill leaves claimed, unstored samples behind.
    let orphaned = 0;
    for (let attempt = 1; attempt <= 5 && orphaned === 0; attempt++) {
      for (;;) {
        const now = await client.getRun(run.id);
        if ((now.summary?.counts.scored ?? 0) >= 30 * attempt && (await claimedUnfinished()) > 0) break;
        expect(now.status).not.toBe('succeeded');
        await new Promise((r) => setTimeout(r, 50));
      }
      const worker = [...platform.services.values()].find((s) => s.name.startsWith('eval-worker') && s.running)!;
      await worker.kill();
      try {
        orphaned = await claimedUnfinished();
        const atKill = await client.getRun(run.id);
        expect(atKill.summary!.counts.pending).toBeGreaterThan(0);
      } finally {
        // The later tests need a worker whatever happened here.
        await platform.startWorker();
      }
    }
    expect(orphaned, 'samples in flight when the worker died (in one of 5 kills)').toBeGreaterThan(0);
    const done = await waitFinal(client, run.id, 240_000);
    expect(done.status).toBe('succeeded');
    expect(done.summary?.counts).toMatchObject({ total: 300, scored: 300, errored: 0, pending: 0 });
    expect(metric(done, 'accuracy').value).toBe(1);
    // Exactly once: one stored result per (item, sample), none written twice (a second write would need a pending row).
    try {
      const { rows } = await sql.query<{ n: string; distinct_items: string; retried: string }>(
        `SELECT count(*) AS n, count(DISTINCT item_index) AS distinct_items, count(*) FILTER (WHERE attempts > 1) AS retried
           FROM sample WHERE run_id = $1 AND status = 'SCORED'`,
        [run.id],
      );
      expect(rows[0]).toMatchObject({ n: '300', distinct_items: '300' });
      // Every sample in flight when the worker died was taken again by the new worker.
      expect(Number(rows[0]!.retried)).toBeGreaterThanOrEqual(orphaned);
    } finally {
      await sql.end();
    }
  }, 600_000);

  it('keeps at most `concurrency` samples of a run in flight, and uses them', async () => {
    const run = await client.createRun({ model: 'sim:oracle', benchmark: 'gsm8k', limit: 60, concurrency: 3 });
    const done = await waitFinal(client, run.id, 240_000);
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
    const done = await waitFinal(client, run.id, 240_000);
    expect(done.summary?.counts).toMatchObject({ total: 20, scored: 20, errored: 0 });
    expect(metric(done, 'pass@1').value).toBe(1);
  }, 120_000);

  it('rejects bad input with a clear error and stores nothing', async () => {
    const before = (await client.listRuns(500)).runs.length;
    const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${platform.apiKey}` }) =>
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

  it('scores MMLU and BBH (CoT and answer-only) references 1 and wrong answers 0, and compares the runs', async () => {
    const runs = await Promise.all(
      ['sim:oracle', 'sim:wrong'].flatMap((model) =>
        [
          { benchmark: 'mmlu', limit: 300 },
          { benchmark: 'bbh', limit: 200, chat: true },
          { benchmark: 'bbh-direct', limit: 200 },
        ].map((b) => client.createRun({ model, ...b })),
      ),
    );
    const done = await Promise.all(runs.map((r) => waitFinal(client, r.id, 280_000)));
    for (const [i, run] of done.entries()) {
      expect(run.status, run.error ?? '').toBe('succeeded');
      expect(run.summary?.counts.errored).toBe(0);
      expect(metric(run, 'accuracy').value, `${run.model} ${run.benchmark}`).toBe(i < 3 ? 1 : 0);
    }
    const [mmluOracle, , , mmluWrong] = done;
    // The breakdown the harnesses report, MMLU per subject in dataset order (the first 300 questions: 100 + 135 + 65),
    // the same in the run and in the listing (stored summary).
    const bySubject = (run: RunJson | undefined) => run?.summary?.groups?.map((g) => [g.name, g.metrics[0]?.value, g.metrics[0]?.n]);
    expect(bySubject(mmluOracle)).toEqual([['abstract_algebra', 1, 100], ['anatomy', 1, 135], ['astronomy', 1, 65]]);
    expect(bySubject(mmluWrong)).toEqual([['abstract_algebra', 0, 100], ['anatomy', 0, 135], ['astronomy', 0, 65]]);
    const listed = (await client.listRuns(500)).runs.find((r) => r.id === mmluOracle!.id);
    expect(listed?.summary?.groups).toEqual(mmluOracle!.summary?.groups);
    expect(done[1]!.summary?.groups?.map((g) => g.name)).toEqual(['boolean_expressions']);
    const cli = (...args: string[]) =>
      execFileAsync(join(repoRoot, 'bin/lemur'), [...args, '--server', platform.gatewayUrl], { cwd: repoRoot, env: { ...process.env, LEMUR_HOME: home, LEMUR_CONFIG: join(home, 'config.json') } });
    const compared = JSON.parse((await cli('compare', mmluOracle!.id, mmluWrong!.id, '--json')).stdout) as Record<string, unknown>;
    expect(compared).toMatchObject({ sharedItems: 300, delta: -1, significant: true, comparable: true, regressed: { count: 300 }, improved: { count: 0 } });
    expect(compared['differences']).toEqual([{ field: 'model', a: '"sim:oracle"', b: '"sim:wrong"', breaksComparability: false }]);
    const failed = await cli('compare', mmluOracle!.id, mmluWrong!.id, '--fail-on-regression').then(
      () => 0,
      (err: { code: number; stdout: string }) => {
        expect(err.stdout).toContain('B is significantly worse (regression)');
        return err.code;
      },
    );
    expect(failed).toBe(3);
    await expect(cli('compare', mmluWrong!.id, mmluOracle!.id, '--fail-on-regression')).resolves.toMatchObject({ stdout: expect.stringContaining('B is significantly better') });
  }, 300_000);

  it('runs from the CLI with --json against the running gateway', async () => {
    const { stdout } = await execFileAsync(
      join(repoRoot, 'bin/lemur'),
      ['run', '--model', 'sim:wrong', '--benchmark', 'gsm8k', '--limit', '7', '--json', '--server', platform.gatewayUrl],
      { cwd: repoRoot, env: { ...process.env, LEMUR_HOME: home, LEMUR_CONFIG: join(home, 'config.json') } },
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
      execFileAsync(join(repoRoot, 'bin/lemur'), [...args, '--server', platform.gatewayUrl], { cwd: repoRoot, env: { ...process.env, LEMUR_HOME: home, LEMUR_CONFIG: join(home, 'config.json') } });
    const shown = JSON.parse((await cli('runs', 'show', String(result.runId), '--json')).stdout) as Record<string, unknown>;
    expect(shown).toMatchObject({ runId: result.runId, samples: 7 });
    const listed = JSON.parse((await cli('runs', 'list', '--limit', '3', '--json')).stdout) as { runId: string }[];
    expect(listed[0]!.runId).toBe(result.runId);
    // Filters combine with AND, on the server: this model's gsm8k runs that succeeded, but no run of another model.
    type Listed = { runId: string; model: string; benchmark: string; status: string }[];
    const filtered = JSON.parse((await cli('runs', 'list', '--model', 'sim:wrong', '--benchmark', 'gsm8k', '--status', 'succeeded', '--json')).stdout) as Listed;
    expect(filtered.map((r) => r.runId)).toContain(result.runId);
    expect(filtered.every((r) => r.model === 'sim:wrong' && r.benchmark.startsWith('gsm8k@') && r.status === 'succeeded')).toBe(true);
    expect(JSON.parse((await cli('runs', 'list', '--model', 'sim:wrong', '--status', 'cancelled', '--json')).stdout)).toEqual([]);
    const badStatus = await cli('runs', 'list', '--status', 'done').then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(badStatus.code).not.toBe(0);
    expect(badStatus.stderr).toMatch(/Allowed choices are queued, running, succeeded, failed, cancelled/);
  }, 60_000);

  it('bootstraps an admin key for team local, and manages keys and a login profile from the CLI', async () => {
    const keyFile = join(home, 'admin-key');
    expect(readFileSync(keyFile, 'utf8').trim()).toBe(platform.apiKey);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect((await fetch(`${platform.gatewayUrl}/v1/runs`)).status).toBe(401);

    const configFile = join(home, 'profiles.json');
    const cliEnv = { ...process.env, LEMUR_HOME: home, LEMUR_CONFIG: configFile };
    const cli = (args: string[], extra: Record<string, string> = {}) =>
      execFileAsync(join(repoRoot, 'bin/lemur'), [...args, '--server', platform.gatewayUrl], { cwd: repoRoot, env: { ...cliEnv, ...extra } });
    const created = JSON.parse((await cli(['keys', 'create', '--name', 'e2e viewer', '--role', 'viewer', '--json'])).stdout) as {
      key: { id: string; role: string };
      secret: string;
    };
    expect(created.key.role).toBe('viewer');
    const listed = JSON.parse((await cli(['keys', 'list', '--json'])).stdout) as { id: string; name: string }[];
    expect(listed.map((k) => k.name)).toEqual(expect.arrayContaining(['e2e viewer', 'local admin (lemur up)']));
    expect(JSON.stringify(listed)).not.toContain(created.secret);

    // A viewer key reads but cannot start runs; the CLI exits 2 with the gateway's reason.
    const viewer = { LEMUR_API_KEY: created.secret };
    expect(Array.isArray(JSON.parse((await cli(['runs', 'list', '--limit', '1', '--json'], viewer)).stdout))).toBe(true);
    const refused = await cli(['run', '--model', 'sim:oracle', '--benchmark', 'gsm8k', '--limit', '1'], viewer).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/needs the runner role/);

    // login saves the profile (0600) and later commands use it.
    await execFileAsync(join(repoRoot, 'bin/lemur'), ['login', '--server', platform.gatewayUrl, '--api-key', created.secret, '--profile', 'ro'], {
      cwd: repoRoot,
      env: cliEnv,
    });
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(configFile, 'utf8'))).toMatchObject({ current: 'ro', profiles: { ro: { apiKey: created.secret } } });
    const viaProfile = await cli(['keys', 'list']).then(
      () => 0,
      (err: { code: number }) => err.code,
    );
    expect(viaProfile).toBe(2);
    // --profile picks a saved login over the current one: after an admin login, the viewer's profile is still refused.
    await execFileAsync(join(repoRoot, 'bin/lemur'), ['login', '--server', platform.gatewayUrl, '--api-key', platform.apiKey, '--profile', 'admin'], {
      cwd: repoRoot,
      env: cliEnv,
    });
    expect(JSON.parse(readFileSync(configFile, 'utf8'))).toMatchObject({ current: 'admin' });
    expect(Array.isArray(JSON.parse((await cli(['keys', 'list', '--json'])).stdout))).toBe(true);
    const asViewer = await cli(['keys', 'list', '--profile', 'ro']).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(asViewer.code).toBe(2);
    expect(asViewer.stderr).toMatch(/needs the admin role/);
    const unknownProfile = await cli(['runs', 'list', '--profile', 'nope']).then(
      () => '',
      (err: { stderr: string }) => err.stderr,
    );
    expect(unknownProfile).toMatch(/no profile "nope" in .*profiles\.json; create it with `lemur login --profile nope`/);

    const revoked = JSON.parse((await cli(['keys', 'revoke', created.key.id, '--json'], { LEMUR_API_KEY: platform.apiKey })).stdout) as { revokedAt: string | null };
    expect(revoked.revokedAt).not.toBeNull();
    const after = await cli(['runs', 'list'], viewer).then(
      () => '',
      (err: { stderr: string }) => err.stderr,
    );
    expect(after).toMatch(/was revoked at/);

    // Members: a member's key takes the member's role; removing the member revokes it.
    const admin = { LEMUR_API_KEY: platform.apiKey };
    const member = JSON.parse((await cli(['members', 'add', 'ada@example.com', '--role', 'runner', '--json'], admin)).stdout) as { id: string; role: string };
    expect(member.role).toBe('runner');
    const adaKey = JSON.parse((await cli(['keys', 'create', '--name', 'ada laptop', '--member', member.id, '--json'], admin)).stdout) as {
      key: { id: string; role: string; memberId: string };
      secret: string;
    };
    expect(adaKey.key).toMatchObject({ role: 'runner', memberId: member.id });
    expect((await cli(['members', 'list'], admin)).stdout).toContain('ada@example.com');
    const removed = JSON.parse((await cli(['members', 'remove', member.id, '--json'], admin)).stdout) as { revokedKeys: string[] };
    expect(removed.revokedKeys).toEqual([adaKey.key.id]);
    const gone = await cli(['runs', 'list'], { LEMUR_API_KEY: adaKey.secret }).then(
      () => '',
      (err: { stderr: string }) => err.stderr,
    );
    expect(gone).toMatch(/was revoked at/);
    // Each step starts the CLI afresh (node + tsx, a few seconds on a busy machine), about twenty in all.
  }, 240_000);

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
