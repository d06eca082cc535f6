import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '@lemur/shared-testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayClient, RunJson } from '../src/api/gateway-client';
import { parseSimModel } from '../src/models/sim-models';
import { startTestPlatform, type TestPlatform } from './test-platform';

// The published Lemur-70B-Chat ALFWorld run replayed through the whole local platform: the simulator answers each turn
// with the published one, the real sandbox runs the code, and each tool call reaches the recorded ALFWorld
// environment server over HTTP (docs/environment-protocol.md).
const REPO = resolve(__dirname, '../../..');
const OUTPUTS = resolve(REPO, '../shared/datasets/mint-bench/data/outputs');
const PUBLISHED_RUN = join(OUTPUTS, 'lemur-70b-chat-v1/F=None/max5_p2+tool+cd');
const REPLAY_MODEL = `sim:replay=${PUBLISHED_RUN}`;
const OTHER_RUNS = ['lemur-70b-v1', 'gpt-3.5-turbo-0613'].map((m) => join(OUTPUTS, m, 'F=None/max5_p2+tool+cd'));

interface StoredSample {
  item_id: string;
  status: string;
  score: number | null;
  error: string | null;
  score_detail: { terminateReason?: string; environmentEndpoint?: string } | null;
  transcript: { role: string; kind?: string; observation?: string; environment?: { steps: number } }[] | null;
}

/** Starts the recorded ALFWorld server as its own process; resolves with its URL once it listens. */
async function startEnvironmentServer(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const args = ['--import', 'tsx', join(REPO, 'apps/eval/src/environment/serve-environment.ts'), '--recorded', PUBLISHED_RUN, '--port', String(port)];
  for (const other of OTHER_RUNS) args.push('--also', other);
  const child = spawn(process.execPath, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    const timer = setTimeout(() => fail(new Error(`environment server did not start: ${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"([^"]+)"/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => fail(new Error(`environment server exited with ${code}: ${out}`)));
  });
  return { url, child };
}

function published(): Map<string, { success: boolean; terminateReason: string }> {
  const rows = readFileSync(join(PUBLISHED_RUN, 'decision_making/alfworld/results.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { state: { success: boolean; terminate_reason: string }; task: { task_id: string } });
  return new Map(rows.map((r) => [`mint-alfworld/${r.task.task_id}`, { success: r.state.success, terminateReason: r.state.terminate_reason }]));
}

describe('mint-alfworld through the real local platform and the recorded environment server', () => {
  let t: TestPlatform;
  let client: GatewayClient;
  let sql: pg.Client;
  let environment: { url: string; child: ChildProcess };

  beforeAll(async () => {
    environment = await startEnvironmentServer();
    t = await startTestPlatform({
      name: 'alfworld',
      simFast: true,
      extraSimModels: [parseSimModel(REPLAY_MODEL, process.cwd())!],
      env: { LEMUR_ENVIRONMENT_URL: environment.url },
    });
    ({ client, sql } = t);
  }, 180_000);

  afterAll(async () => {
    await t?.stop();
    environment?.child.kill('SIGTERM');
  }, 60_000);

  it('replaying the published Lemur-70B-Chat ALFWorld run reproduces its 59.7 (within 1 point), listing episodes that differ', async () => {
    const created = await client.createRun({ model: REPLAY_MODEL, benchmark: 'mint-alfworld', concurrency: 8 });
    const deadline = Date.now() + 400_000;
    let run: RunJson = await client.getRun(created.id);
    while (!['succeeded', 'failed', 'cancelled'].includes(run.status)) {
      if (Date.now() > deadline) throw new Error(`run still ${run.status}: ${JSON.stringify(run.summary?.counts)}`);
      await new Promise((r) => setTimeout(r, 1_000));
      run = await client.getRun(created.id);
    }
    const samples = (await sql.query<StoredSample>('SELECT item_id, status, score, error, score_detail, transcript FROM sample WHERE run_id = $1 ORDER BY item_index', [run.id])).rows;
    const expected = published();
    const differences: string[] = [];
    for (const s of samples) {
      const p = expected.get(s.item_id)!;
      const ours = s.score === 1;
      if (s.status !== 'SCORED' || ours !== p.success) {
        const cells = (s.transcript ?? []).filter((e) => e.kind === 'execute');
        differences.push(
          `${s.item_id}: ${s.status} ${ours} (${s.score_detail?.terminateReason ?? s.error}), published ${p.success} (${p.terminateReason}); ` +
            `last cell: ${(cells.at(-1)?.observation ?? '').slice(0, 160).replaceAll('\n', ' | ')}`,
        );
      }
    }
    const solved = samples.filter((s) => s.score === 1).length;
    console.log(`mint-alfworld replay through the platform: ${solved}/${samples.length} = ${((100 * solved) / samples.length).toFixed(2)} (published 59.7); ${differences.length} differ${differences.length ? `:\n${differences.join('\n')}` : ''}`);
    expect(samples).toHaveLength(134);
    expect(Math.abs((100 * solved) / samples.length - 59.7)).toBeLessThanOrEqual(1);
    expect(samples.filter((s) => s.status === 'SCORED').every((s) => s.score_detail?.environmentEndpoint === environment.url)).toBe(true);
    const steps = samples.flatMap((s) => (s.transcript ?? []).map((e) => e.environment?.steps ?? 0)).reduce((a, b) => a + b, 0);
    expect(steps).toBeGreaterThan(500);
  }, 420_000);
});
