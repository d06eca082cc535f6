// The team an eval worker's calls carry, through the service's own composition root (startEval) against real Postgres
// and the real pg-boss queue: every call to inference and to the sandbox is made for the run's team, by the name the
// gateway's own calls use (what INFERENCE_TEAM_LIMITS, inference's fair queue and metric labels and the sandbox's
// per-team session cap are keyed by), never the team's id or one name for all teams. Then, against the real sandbox
// service with a cap of one session per team, two teams' agent episodes hold a session each at the same time.
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { mmluBenchmark } from '@lemur/benchmarks';
import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { createLogger } from '@lemur/shared-logging';
import { createTestDatabase, freePort, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchmarkCatalog } from '../src/benchmarks/benchmark-catalog';
import { loadEvalConfig } from '../src/config/eval.config';
import { startEval, type RunningEval } from '../src/eval.app';
import { SampleQueue } from '../src/queue/sample-queue';
import { RunRepository } from '../src/runs/run.repository';
import type { RunRecord, RunSpec } from '../src/runs/run.types';
import { RecordingPlatformServer, type ModelReply } from './recording-platform.grpc-server';

const repoRoot = resolve(__dirname, '../../..');
const DATASETS = resolve(repoRoot, '../shared/datasets');
const logger = createLogger('eval', 'silent');
const ANSWER = 'The answer is <solution> 4 </solution>';

let db: TestDatabase;
let prisma: PrismaClient;
let runs: RunRepository;
let queue: SampleQueue;
const catalog = new BenchmarkCatalog({ datasetsDir: DATASETS, online: false });

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  runs = new RunRepository(prisma);
  queue = new SampleQueue(db.url, { expireInSeconds: 60, maintenanceSeconds: 30, retryLimit: 3 }, logger);
  await queue.start();
}, 60_000);

afterAll(async () => {
  await queue?.stop();
  await prisma?.$disconnect();
  await db?.drop();
});

/** An eval worker (no API) as the service starts one, calling inference and the sandbox at these addresses. */
function startWorker(inferenceAddr: string, sandboxAddr: string): Promise<RunningEval> {
  return startEval(
    loadEvalConfig(
      {
        DATABASE_URL: db.url,
        INFERENCE_ADDR: inferenceAddr,
        SANDBOX_ADDR: sandboxAddr,
        EVAL_SERVE_API: 'false',
        EVAL_WORKERS: 'true',
        EVAL_METRICS_PORT: '0',
        EVAL_SAMPLE_TIMEOUT_MS: '30000',
        // The fake inference service never scales a model from zero: no cold start for the deadline to cover.
        EVAL_INFERENCE_COLD_START_MS: '0',
        EVAL_SAMPLE_MAX_ATTEMPTS: '1',
        LEMUR_DATASETS_DIR: DATASETS,
        LEMUR_OFFLINE: 'true',
        LOG_LEVEL: 'silent',
      },
      repoRoot,
    ),
  );
}

/** Stores and queues a run of the first `items` items of `name` for `team`, as StartRunUseCase leaves one. */
async function queueRun(team: string, name: string, items: number, extra: Partial<RunSpec> = {}): Promise<RunRecord> {
  const { benchmark, loaded, ref } = await catalog.load(name);
  const spec: RunSpec = {
    benchmarkRef: ref,
    datasetFile: benchmark.dataset.name,
    datasetSha256: loaded.datasetSha256,
    datasetSource: loaded.source,
    promptTemplateHash: benchmark.promptTemplateHash,
    metric: 'accuracy',
    sampling: { ...benchmark.sampling },
    platformVersion: '0.1.0',
    items,
    ...extra,
  };
  const { run, sampleIds } = await runs.createWithSamples({
    teamId: await runs.ensureTeam(team),
    modelName: 'sim:oracle',
    benchmark: benchmark.name,
    benchmarkVersion: benchmark.version,
    config: { limit: items, samplesPerItem: 1, concurrency: 4, chat: false },
    spec,
    samples: loaded.items.slice(0, items).map((item, itemIndex) => ({ itemId: item.id, itemIndex, sampleIndex: 0 })),
  });
  await queue.enqueue(run.id, sampleIds);
  return run;
}

async function waitFinal(id: string): Promise<RunRecord> {
  for (const until = Date.now() + 90_000; Date.now() < until; ) {
    const run = await runs.findById(id);
    if (run && run.status !== 'QUEUED' && run.status !== 'RUNNING') return run;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${id} did not finish`);
}

const countsOf = (run: RunRecord) => (run.summary as { counts: Record<string, number> }).counts;

describe('an eval worker calls inference and the sandbox as the run\'s team', () => {
  let platform: RecordingPlatformServer;
  let worker: RunningEval;

  beforeAll(async () => {
    platform = await RecordingPlatformServer.start({ reply: () => ANSWER, sandbox: true });
    worker = await startWorker(platform.address, platform.address);
  }, 60_000);

  afterAll(async () => {
    await worker?.close();
    await platform?.stop();
  });

  it('sends the team name on model calls (generation and likelihood), code runs and every session call', async () => {
    const started = [
      // Generation scored by running the tests in the sandbox (Execute).
      await queueRun('team-red', 'humaneval', 2),
      // A first-token log-probability call (this fake gives none, so a generation call follows).
      await queueRun('team-red', 'mmlu', 1, {
        choiceScoring: { method: 'logprobs', protocol: mmluBenchmark.likelihood.protocol, topLogprobs: 20, maxTokens: 1, fallback: 'generation' },
      }),
      // An agent episode: chat turns, and an interpreter session (CreateSession, RunCell, CloseSession).
      await queueRun('team-red', 'mint-gsm8k', 1),
    ];
    for (const run of started) {
      const done = await waitFinal(run.id);
      expect(done.status).toBe('SUCCEEDED');
      expect(countsOf(done)).toMatchObject({ errored: 0, scored: run.totalSamples });
    }

    const rpcs = new Set(platform.calls.map((c) => c.rpc));
    expect([...rpcs].sort()).toEqual(['CloseSession', 'CreateSession', 'Execute', 'Generate', 'RunCell']);
    expect(platform.calls.some((c) => c.rpc === 'Generate' && c.logprobs === true)).toBe(true);
    expect(platform.calls.filter((c) => c.team !== 'team-red')).toEqual([]);
  }, 120_000);
});

describe('two teams\' agent episodes against the real sandbox with one session per team', () => {
  // Each team's first model turn waits (while its episode holds its one session) until the other team's arrives too, or
  // BARRIER_MS pass: under one shared cap the second team cannot open a session until the first episode ends.
  const BARRIER_MS = 10_000;
  const arrived = new Set<string>();
  let firstWaiting = false;
  let overlapped = false;
  let release: () => void = () => undefined;
  const released = new Promise<void>((r) => (release = r));
  const reply: ModelReply = async (req) => {
    if (!arrived.has(req.team)) {
      arrived.add(req.team);
      if (arrived.size === 2) {
        // Only while the first episode still waits (holding its session) does the second's arrival show two at once.
        overlapped = firstWaiting;
        release();
      } else {
        firstWaiting = true;
        await Promise.race([released, new Promise((r) => setTimeout(r, BARRIER_MS))]);
        firstWaiting = false;
      }
    }
    return ANSWER;
  };

  let sandbox: ChildProcess;
  let platform: RecordingPlatformServer;
  let worker: RunningEval;

  beforeAll(async () => {
    const [grpcPort, metricsPort] = [await freePort(), await freePort()];
    // The sandbox service as its own process, as `lemur up` runs it, with the per-team cap at one session.
    sandbox = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, join(repoRoot, 'apps/sandbox/src/main.ts')], {
      cwd: repoRoot,
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: join(repoRoot, 'tsconfig.json'),
        SANDBOX_GRPC_URL: `127.0.0.1:${grpcPort}`,
        SANDBOX_METRICS_PORT: String(metricsPort),
        SANDBOX_SESSIONS_PER_TEAM: '1',
        LOG_LEVEL: 'warn',
      },
      stdio: 'ignore',
    });
    let up = false;
    for (let i = 0; i < 600 && !up; i++) {
      up = (await fetch(`http://127.0.0.1:${metricsPort}/healthz`).catch(() => null))?.ok === true;
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    if (!up) throw new Error('sandbox service did not start');
    platform = await RecordingPlatformServer.start({ reply, sandbox: false });
    worker = await startWorker(platform.address, `127.0.0.1:${grpcPort}`);
  }, 90_000);

  afterAll(async () => {
    await worker?.close();
    await platform?.stop();
    if (sandbox && sandbox.exitCode === null) {
      const exited = new Promise((r) => sandbox.once('exit', r));
      sandbox.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (sandbox.exitCode === null) sandbox.kill('SIGKILL');
    }
  }, 30_000);

  it('count each team\'s sessions against its own cap: both episodes hold a session at once, and both are scored', async () => {
    const [blue, green] = [await queueRun('team-blue', 'mint-gsm8k', 1), await queueRun('team-green', 'mint-gsm8k', 1)];
    const done = [await waitFinal(blue.id), await waitFinal(green.id)];
    expect(overlapped).toBe(true);
    for (const run of done) {
      expect(run.status).toBe('SUCCEEDED');
      expect(countsOf(run)).toMatchObject({ scored: 1, errored: 0 });
    }
    expect([...arrived].sort()).toEqual(['team-blue', 'team-green']);
  }, 120_000);
});
