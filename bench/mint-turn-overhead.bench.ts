// Platform overhead per MINT turn (target p50 < 5 ms): the published Lemur-70B-Chat trajectories replayed through the
// real local platform (sim:replay answers each turn with the published model turn; our sandbox sessions run the
// <execute> cells; our scorers judge). Each episode stores its turns' overhead (TurnClock: a turn's wall time minus the
// replica's own time as the inference service measured its upstream calls and the sandbox's cell wall time); this prints p50/p95 over all turns and
// p50 / 5 ms. LEMUR_BENCH_MINT_LIMIT caps the items per task (default 0 = all: 48 GSM8K + 45 HumanEval episodes).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@lemur/shared-testing';
import pg from 'pg';
import { GatewayClient } from '../apps/cli/src/api/gateway-client';
import { loadCliEnvironment } from '../apps/cli/src/config/cli.config';
import { LocalPlatform } from '../apps/cli/src/local/local-platform';
import { parseSimModel } from '../apps/cli/src/models/sim-models';
import { quantile, runStandalone, type BenchResult } from './bench-result';

const TARGET_MS = 5;
const TASKS = ['mint-gsm8k', 'mint-humaneval'];
const FINAL = new Set(['succeeded', 'failed', 'cancelled']);

export async function run(): Promise<BenchResult> {
  const limit = Number(process.env['LEMUR_BENCH_MINT_LIMIT'] ?? '0');
  if (!Number.isInteger(limit) || limit < 0) throw new Error('LEMUR_BENCH_MINT_LIMIT must be a whole number >= 0 (0 = all items)');
  const db = await createTestDatabase();
  const home = mkdtempSync(join(tmpdir(), 'lemur-bench-mint-'));
  const env = { ...loadCliEnvironment(), databaseUrl: db.url, home, passthrough: { ...process.env, LOG_LEVEL: 'warn' } };
  const replay = `sim:replay=${join(env.repoRoot, '../shared/datasets/mint-bench/data/outputs/lemur-70b-chat-v1/F=None/max5_p2+tool+cd')}`;
  const platform = await LocalPlatform.start({ env, gatewayPort: 0, workers: 1, simFast: true, extraSimModels: [parseSimModel(replay, env.repoRoot)!], log: () => undefined });
  const sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
  try {
    const client = new GatewayClient(platform.gatewayUrl, platform.apiKey);
    const runs = await Promise.all(TASKS.map((benchmark) => client.createRun({ model: replay, benchmark, limit, concurrency: 4 })));
    for (;;) {
      const states = await Promise.all(runs.map((r) => client.getRun(r.id)));
      if (states.every((r) => FINAL.has(r.status))) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const { rows } = await sql.query<{ overheads: { wallMs: number; excludedMs: number; callsMs: number; overheadMs: number; hopsMs: { model: number; code: number } }[] | null }>(
      "SELECT score_detail->'turnTimings' AS overheads FROM sample WHERE run_id = ANY($1::uuid[]) AND status = 'SCORED'",
      [runs.map((r) => r.id)],
    );
    const timings = rows.flatMap((r) => r.overheads ?? []);
    const turns = timings.map((t) => t.overheadMs);
    const wall = quantile(timings.map((t) => t.wallMs), 0.5);
    const excluded = quantile(timings.map((t) => t.excludedMs), 0.5);
    // The overhead split: the worker's own loop (outside any call) and the hops to and through the services.
    const loop = quantile(timings.map((t) => t.wallMs - t.callsMs), 0.5);
    const hops = quantile(timings.map((t) => t.callsMs - t.excludedMs), 0.5);
    const modelHops = quantile(timings.map((t) => t.hopsMs.model), 0.5);
    const codeHops = quantile(timings.map((t) => t.hopsMs.code), 0.5);
    if (turns.length === 0) throw new Error('no turn timings were stored: is the eval worker recording turnTimings?');
    const p50 = quantile(turns, 0.5);
    const p95 = quantile(turns, 0.95);
    return {
      name: 'MINT platform overhead per turn (p50) vs 5 ms target',
      ratio: p50 / TARGET_MS,
      target: '<= 1 (p50 under 5 ms)',
      ok: p50 < TARGET_MS,
      baseline: `the ${TARGET_MS} ms target`,
      detail: `${turns.length} turns of ${rows.length} replayed episodes (${TASKS.join(', ')}): p50 ${p50.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms, max ${Math.max(...turns).toFixed(2)} ms; per turn p50 wall ${wall.toFixed(1)} ms, of which model + code (as their services report) p50 ${excluded.toFixed(1)} ms; overhead split p50: eval worker loop ${loop.toFixed(2)} ms, gRPC hops and service handling ${hops.toFixed(2)} ms (to inference ${modelHops.toFixed(2)} ms, to the sandbox ${codeHops.toFixed(2)} ms)`,
    };
  } finally {
    await sql.end();
    await platform.stop();
    await db.drop();
    rmSync(home, { recursive: true, force: true });
  }
}

if (require.main === module) runStandalone(run);
