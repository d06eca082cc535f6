// Adaptive concurrency end to end: real eval worker, real pg-boss queue on real PostgreSQL, the real inference service
// (its own process, as deployed) and, behind it, a model endpoint on loopback that serves CAPACITY requests at once and
// answers 429 to any more. The run asks for 16 at once; the worker must find the endpoint's capacity from the refusals,
// stay near it, and still score every sample, none of them counted wrong because it was refused.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { gsm8kBenchmark, type CodeExecutor, type Gsm8kItem } from '@lemur/benchmarks';
import { inferenceV1 } from '@lemur/proto';
import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { createGrpcClient, type GrpcClient } from '@lemur/shared-grpc';
import { createLogger } from '@lemur/shared-logging';
import { createTestDatabase, freePort, type TestDatabase } from '@lemur/shared-testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BenchmarkCatalog } from '../src/benchmarks/benchmark-catalog';
import { SampleQueue } from '../src/queue/sample-queue';
import { RunFinalizer } from '../src/runs/run-finalizer';
import { RunRepository } from '../src/runs/run.repository';
import type { RunRecord } from '../src/runs/run.types';
import { SampleRepository } from '../src/runs/sample.repository';
import { EvalMetrics } from '../src/worker/eval.metrics';
import { SampleProcessor } from '../src/worker/sample-processor';
import { SampleWorker } from '../src/worker/sample-worker';

const DATASETS = resolve(__dirname, '../../../../shared/datasets');
const REPO_ROOT = resolve(__dirname, '../../..');
const CAPACITY = 4;
const ASKED = 16;
const ITEMS = 40;
/** Long enough that the run's first 16 requests are all at the endpoint at once. */
const HOLD_MS = 500;

/** The model endpoint: OpenAI completions, CAPACITY at a time, 429 beyond; answers each GSM8K question correctly. */
interface CappedEndpoint {
  server: Server;
  url: string;
  served: number;
  refused: number;
}

async function startCappedEndpoint(answers: Map<string, string>): Promise<CappedEndpoint> {
  const endpoint: CappedEndpoint = { server: undefined as unknown as Server, url: '', served: 0, refused: 0 };
  let inFlight = 0;
  endpoint.server = createServer((req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    inFlight += 1;
    res.once('close', () => (inFlight -= 1));
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (inFlight > CAPACITY) {
        endpoint.refused += 1;
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' }).end('{"error":{"message":"too many requests"}}');
        return;
      }
      const { prompt } = JSON.parse(Buffer.concat(chunks).toString()) as { prompt: string };
      // The item asked is the question that comes last (the few-shot examples come before it).
      let text = 'no question recognised';
      let at = -1;
      for (const [question, completion] of answers) {
        const i = prompt.lastIndexOf(question);
        if (i > at) [at, text] = [i, completion];
      }
      endpoint.served += 1;
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: 'cmpl-capped',
            object: 'text_completion',
            model: 'capped',
            choices: [{ index: 0, text, finish_reason: 'stop', logprobs: null }],
            usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
          }),
        );
      }, HOLD_MS);
    });
  });
  await new Promise<void>((ok) => endpoint.server.listen(0, '127.0.0.1', ok));
  endpoint.url = `http://127.0.0.1:${(endpoint.server.address() as AddressInfo).port}`;
  return endpoint;
}

/** Starts the inference service as its own process (as deployed) and waits for its health endpoint. */
async function startInferenceProcess(env: Record<string, string>): Promise<{ child: ChildProcess; grpcAddr: string }> {
  const [grpcPort, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', pathToFileURL(require.resolve('tsx')).href, join(REPO_ROOT, 'apps/inference/src/main.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env, TSX_TSCONFIG_PATH: join(REPO_ROOT, 'tsconfig.json'), INFERENCE_GRPC_URL: `127.0.0.1:${grpcPort}`, INFERENCE_METRICS_PORT: String(metricsPort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  for (const until = Date.now() + 240_000; ; ) {
    if (child.exitCode !== null) throw new Error(`inference exited with ${child.exitCode}:\n${output}`);
    if (await fetch(`http://127.0.0.1:${metricsPort}/healthz`).then((r) => r.ok, () => false)) break;
    if (Date.now() > until) {
      child.kill('SIGTERM');
      throw new Error(`inference did not start in 240 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, grpcAddr: `127.0.0.1:${grpcPort}` };
}

let db: TestDatabase;
let prisma: PrismaClient;
let runs: RunRepository;
let queue: SampleQueue;
let worker: SampleWorker;
let metrics: EvalMetrics;
let endpoint: CappedEndpoint;
let inference: { child: ChildProcess; grpcAddr: string };
let inferenceClient: GrpcClient<(typeof inferenceV1.InferenceService)['method']>;
let catalog: BenchmarkCatalog;
let dir: string;
const logLines: { level: number; msg: string; from?: number; to?: number; model?: string; team?: string }[] = [];

const executor: CodeExecutor = {
  execute: async () => {
    throw new PlatformError(PlatformErrorCode.INTERNAL, 'GSM8K scoring ran code');
  },
};

beforeAll(async () => {
  catalog = new BenchmarkCatalog({ datasetsDir: DATASETS, online: false });
  const { loaded } = await catalog.load('gsm8k@1.0.0');
  const items = loaded.items.slice(0, ITEMS) as Gsm8kItem[];
  endpoint = await startCappedEndpoint(new Map(items.map((item) => [item.question, gsm8kBenchmark.referenceCompletion(item, { chat: false })])));
  dir = mkdtempSync(join(tmpdir(), 'lemur-adaptive-'));
  const modelsFile = join(dir, 'models.json');
  writeFileSync(modelsFile, JSON.stringify({ models: [{ name: 'capped', endpoints: [endpoint.url] }] }));
  [db, inference] = await Promise.all([
    createTestDatabase(),
    startInferenceProcess({
      LEMUR_MODELS_FILE: modelsFile,
      // One attempt: each 429 reaches the eval worker (inference would otherwise retry it on the same single replica).
      INFERENCE_MAX_ATTEMPTS: '1',
      INFERENCE_EJECT_AFTER_FAILURES: '1000',
      INFERENCE_ENGINE_SCRAPE_MS: '0',
      INFERENCE_CACHE: 'off',
      LOG_LEVEL: 'silent',
    }),
  ]);
  prisma = createPrismaClient(db.url);
  runs = new RunRepository(prisma);
  const samples = new SampleRepository(prisma);
  const logger = createLogger(
    'eval',
    'info',
    new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as (typeof logLines)[number]);
        done();
      },
    }),
  );
  queue = new SampleQueue(db.url, { expireInSeconds: 30, maintenanceSeconds: 30, retryLimit: 12 }, logger);
  await queue.start();
  inferenceClient = createGrpcClient(inferenceV1.InferenceService, inference.grpcAddr, { defaultDeadlineMs: 10_000 });
  const processor = new SampleProcessor(catalog, inferenceClient, () => executor, { sampleTimeoutMs: 10_000, maxAttempts: 10 });
  metrics = new EvalMetrics(new Registry());
  worker = new SampleWorker(queue, runs, samples, processor, new RunFinalizer(runs, samples, queue, logger), metrics, logger, {
    concurrency: ASKED,
    initialModelConcurrency: ASKED,
  });
  worker.start();
  // Starting inference from source (tsx) took 75 s on a 2-core machine busy with other tests.
}, 300_000);

afterAll(async () => {
  await worker?.stop();
  await queue?.stop();
  inferenceClient?.close();
  if (inference && inference.child.exitCode === null) {
    const exited = new Promise((r) => inference.child.once('exit', r));
    inference.child.kill('SIGTERM');
    await exited;
  }
  await new Promise((r) => endpoint?.server.close(r));
  await prisma?.$disconnect();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function waitFinal(id: string): Promise<RunRecord> {
  for (const until = Date.now() + 90_000; Date.now() < until; ) {
    const run = await runs.findById(id);
    if (run && run.status !== 'QUEUED' && run.status !== 'RUNNING') return run;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${id} did not finish`);
}

describe('adaptive concurrency against an endpoint that answers 429 above its capacity', () => {
  it('backs off to the capacity, and scores every sample with no sample errored or counted wrong', async () => {
    const limits: number[] = [];
    const gauge = vi.spyOn(metrics.modelConcurrencyLimit, 'set');
    // The worker's samples in flight at each launch, from its own in-flight gauge: an event log, not a timed sampling.
    const atLaunch: number[] = [];
    let inFlight = 0;
    vi.spyOn(metrics.inFlight, 'inc').mockImplementation(() => void atLaunch.push(++inFlight));
    vi.spyOn(metrics.inFlight, 'dec').mockImplementation(() => void inFlight--);
    const { benchmark, loaded, ref } = await catalog.load('gsm8k@1.0.0');
    const { run, sampleIds } = await runs.createWithSamples({
      teamId: await runs.ensureTeam('adaptive'),
      modelName: 'capped',
      benchmark: 'gsm8k',
      benchmarkVersion: '1.0.0',
      config: { limit: ITEMS, samplesPerItem: 1, concurrency: ASKED, chat: false },
      spec: {
        benchmarkRef: ref,
        datasetFile: benchmark.dataset.name,
        datasetSha256: loaded.datasetSha256,
        datasetSource: loaded.source,
        promptTemplateHash: benchmark.promptTemplateHash,
        metric: 'accuracy',
        sampling: { ...benchmark.sampling },
        platformVersion: '0.1.0',
        items: ITEMS,
      },
      samples: loaded.items.slice(0, ITEMS).map((item, itemIndex) => ({ itemId: item.id, itemIndex, sampleIndex: 0 })),
    });
    await queue.enqueue(run.id, sampleIds);
    const done = await waitFinal(run.id);

    const rows = await prisma.sample.findMany({ where: { runId: run.id }, select: { status: true, score: true, error: true, attempts: true } });
    expect(rows.filter((r) => r.status !== 'SCORED')).toEqual([]);
    expect(rows.map((r) => r.score)).toEqual(Array(ITEMS).fill(1));
    expect(done.status).toBe('SUCCEEDED');
    expect(done.summary).toMatchObject({ counts: { total: ITEMS, scored: ITEMS, errored: 0 } });

    // The run did meet the endpoint's limit: it started 16 samples at once, and refused ones were retried.
    expect(atLaunch.slice(0, ASKED)).toEqual(Array.from({ length: ASKED }, (_, i) => i + 1));
    expect(endpoint.refused).toBeGreaterThan(0);
    expect(endpoint.served).toBe(ITEMS);
    // Every refusal cost its sample one attempt, and nothing else did.
    expect(rows.reduce((n, r) => n + r.attempts - 1, 0)).toBe(endpoint.refused);
    // ...and backed off: after that first batch the worker never again had more than half of it in flight (a fixed
    // concurrency refills to the run's 16 as soon as refused samples come back), and over the second half of the run
    // it stayed within twice the endpoint's capacity.
    expect(Math.max(...atLaunch.slice(ASKED))).toBeLessThanOrEqual(ASKED / 2);
    expect(Math.max(...atLaunch.slice(Math.floor(atLaunch.length / 2)))).toBeLessThanOrEqual(2 * CAPACITY);

    // The first refusal halved the limit, logged at info.
    const lowered = logLines.filter((l) => l.msg.startsWith('the model endpoint is overloaded'));
    expect(lowered[0]).toMatchObject({ level: 30, model: 'capped', team: 'adaptive', from: ASKED, to: ASKED / 2 });
    // The gauge followed the limit, per model and team, from the start value down to the endpoint's capacity.
    for (const call of gauge.mock.calls as unknown as [Record<string, string>, number][]) {
      expect(call[0]).toEqual({ model: 'capped', team: 'adaptive' });
      limits.push(call[1]);
    }
    expect(limits.slice(0, 2)).toEqual([ASKED, ASKED / 2]);
    expect(Math.min(...limits)).toBeLessThanOrEqual(CAPACITY);
    // Once per generation: the first batch's refusals halve the limit once (halving once per refusal would reach 1).
    // At 4 or fewer in flight this endpoint refuses nothing, so a limit of 2 or 3 is never halved again.
    expect(Math.min(...limits)).toBeGreaterThanOrEqual(2);
  }, 180_000);
});

describe('a sample given back for a retry', () => {
  it("waits the delay the worker chose in the queue (whole seconds, pg-boss's unit), not pg-boss's fixed second", async () => {
    const runId = randomUUID();
    await queue.enqueue(runId, ['sample-a']);
    const [job] = await queue.fetch(runId, 1);
    // Measured by the database's own clock, from just before the failure to the start it stored: however long a loaded
    // machine takes between the statements, the delay itself is what is compared.
    const [{ before }] = await prisma.$queryRaw<{ before: Date }[]>`SELECT clock_timestamp() AS before`.then((r) => r as [{ before: Date }]);
    await queue.fail(job!, 'UPSTREAM_FAILED: replica answered 429', 2_500);
    const [row] = await prisma.$queryRaw<{ state: string; wait: number }[]>`
      SELECT state::text AS state, EXTRACT(EPOCH FROM start_after - ${before}::timestamptz)::float8 AS wait FROM pgboss.job WHERE name = ${`run.${runId}`}`;
    expect(row!.state).toBe('retry');
    expect(row!.wait).toBeGreaterThan(2.5);
    expect(row!.wait).toBeLessThan(6);
    expect(await queue.fetch(runId, 1)).toEqual([]);
    await queue.drop(runId);
  });
});
