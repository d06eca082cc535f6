// Re-scoring against real Postgres, the real pg-boss queue and a real worker: a stored GSM8K run (model outputs as a
// run stores them) is scored again by the current scorer without a single model call, first with the same scorer, then
// after a deliberate scorer change (a new benchmark version); errored source samples are reported, not scored. Also the
// refusals of re-scoring and of retrying errors (running, cancelled, nothing to retry, another team's run).
import { resolve } from 'node:path';
import { gsm8kBenchmark, type Benchmark, type CodeExecutor, type Gsm8kItem, type ScoreResult } from '@lemur/benchmarks';
import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { createLogger } from '@lemur/shared-logging';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BenchmarkCatalog } from '../src/benchmarks/benchmark-catalog';
import { SampleQueue } from '../src/queue/sample-queue';
import { CompareRunsUseCase } from '../src/runs/compare-runs/compare-runs.usecase';
import { RescoreRunUseCase } from '../src/runs/rescore-run/rescore-run.usecase';
import { RetryErroredUseCase } from '../src/runs/retry-errored/retry-errored.usecase';
import { RunFinalizer } from '../src/runs/run-finalizer';
import { RunRepository } from '../src/runs/run.repository';
import type { RunRecord, RunSpec } from '../src/runs/run.types';
import { SampleRepository } from '../src/runs/sample.repository';
import { EvalMetrics } from '../src/worker/eval.metrics';
import { SampleProcessor, type InferenceClient } from '../src/worker/sample-processor';
import { SampleRescorer } from '../src/worker/sample-rescorer';
import type { EpisodeEvent } from '../src/worker/episode-runner';
import { SampleWorker } from '../src/worker/sample-worker';

const DATASETS = resolve(__dirname, '../../../../shared/datasets');
const logger = createLogger('eval', 'silent');

/** GSM8K 1.0.1: GSM8K with a deliberately changed scorer that rejects every answer to an odd-numbered item. */
function stricterGsm8k(): Benchmark {
  const changed: Pick<Benchmark<Gsm8kItem>, 'version' | 'score'> = {
    version: '1.0.1',
    async score(item: Gsm8kItem, completion: string): Promise<ScoreResult> {
      const verdict = await gsm8kBenchmark.score(item, completion);
      const odd = Number(item.id.split('/')[1]) % 2 === 1;
      return odd ? { ...verdict, score: 0, passed: false, reason: 'scorer 1.0.1 rejects odd items' } : verdict;
    },
  };
  return Object.assign(Object.create(gsm8kBenchmark) as Benchmark, changed);
}

/** The registry as deployed: `scorerChanged` = a release that ships GSM8K 1.0.1 (1.0.0 stays resolvable by ref). */
class DeployedCatalog extends BenchmarkCatalog {
  scorerChanged = false;
  private readonly stricter = stricterGsm8k();
  override get(name: string): Benchmark {
    if (this.scorerChanged && (name === 'gsm8k' || name === 'gsm8k@1.0.1')) return this.stricter;
    return super.get(name);
  }
}

let db: TestDatabase;
let prisma: PrismaClient;
let runs: RunRepository;
let samples: SampleRepository;
let queue: SampleQueue;
let worker: SampleWorker;
let catalog: DeployedCatalog;
let rescore: RescoreRunUseCase;
let retry: RetryErroredUseCase;
let compare: CompareRunsUseCase;
const modelCalls: string[] = [];
const sandboxCalls: string[] = [];

// Neither may be used by a re-scoring run of GSM8K: each records the call and fails it, so a call shows in the counts.
const inference: InferenceClient = {
  generate: async (req) => {
    modelCalls.push(JSON.stringify(req).slice(0, 80));
    throw new PlatformError(PlatformErrorCode.INVALID_ARGUMENT, 'a re-scoring run called the model');
  },
} as InferenceClient;
const executor: CodeExecutor = {
  execute: async (req) => {
    sandboxCalls.push(req.code.slice(0, 80));
    throw new PlatformError(PlatformErrorCode.INVALID_ARGUMENT, 'GSM8K scoring ran code');
  },
};

async function waitFinal(id: string): Promise<RunRecord> {
  for (const until = Date.now() + 60_000; Date.now() < until; ) {
    const run = await runs.findById(id);
    if (run && run.status !== 'QUEUED' && run.status !== 'RUNNING') return run;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${id} did not finish`);
}

const rowsOf = (runId: string) =>
  prisma.sample.findMany({ where: { runId }, orderBy: { itemIndex: 'asc' }, select: { itemId: true, status: true, score: true, passed: true, error: true, completion: true, scoreDetail: true, promptTokens: true } });

/** A finished GSM8K run of 8 items as the workers store one: reference answers, two wrong ones, one endpoint failure. */
async function storedRun(team: string, status: 'SUCCEEDED' | 'RUNNING' | 'CANCELLED' = 'SUCCEEDED', withError = true): Promise<RunRecord> {
  const { benchmark, loaded, ref } = await catalog.load('gsm8k@1.0.0');
  const items = loaded.items.slice(0, 8) as Gsm8kItem[];
  const spec: RunSpec = {
    benchmarkRef: ref,
    datasetFile: benchmark.dataset.name,
    datasetSha256: loaded.datasetSha256,
    datasetSource: loaded.source,
    promptTemplateHash: benchmark.promptTemplateHash,
    metric: 'accuracy',
    sampling: { ...benchmark.sampling },
    platformVersion: '0.1.0',
    items: items.length,
  };
  const { run, sampleIds } = await runs.createWithSamples({
    teamId: await runs.ensureTeam(team),
    modelName: 'sim:oracle',
    benchmark: 'gsm8k',
    benchmarkVersion: '1.0.0',
    config: { limit: 8, samplesPerItem: 1, concurrency: 4, chat: false },
    spec,
    samples: items.map((item, itemIndex) => ({ itemId: item.id, itemIndex, sampleIndex: 0 })),
  });
  for (const [i, item] of items.entries()) {
    if (withError && i === 6) {
      await prisma.sample.update({ where: { id: sampleIds[i]! }, data: { status: 'ERRORED', error: 'UPSTREAM_FAILED: endpoint down', attempts: 3 } });
      continue;
    }
    const completion = i === 4 || i === 5 ? gsm8kBenchmark.wrongCompletion(item, { chat: false }) : gsm8kBenchmark.referenceCompletion(item, { chat: false });
    const verdict = await gsm8kBenchmark.score(item, completion);
    await prisma.sample.update({
      where: { id: sampleIds[i]! },
      data: { status: 'SCORED', prompt: 'the 8-shot prompt', completion, score: verdict.score, passed: verdict.passed, scoreDetail: { reason: verdict.reason }, promptTokens: 900, completionTokens: 40, attempts: 1 },
    });
  }
  await prisma.run.update({ where: { id: run.id }, data: { status, startedAt: new Date(), ...(status === 'RUNNING' ? {} : { finishedAt: new Date() }) } });
  return (await runs.findById(run.id))!;
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return `${(err as PlatformError).code}: ${(err as Error).message}`;
  }
  return 'no error';
}

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  runs = new RunRepository(prisma);
  samples = new SampleRepository(prisma);
  queue = new SampleQueue(db.url, { expireInSeconds: 30, maintenanceSeconds: 30, retryLimit: 3 }, logger);
  await queue.start();
  catalog = new DeployedCatalog({ datasetsDir: DATASETS, online: false });
  const finalizer = new RunFinalizer(runs, samples, queue, logger);
  const processor = new SampleProcessor(catalog, inference, () => executor, { sampleTimeoutMs: 10_000, maxAttempts: 2 }, undefined, new SampleRescorer(samples, () => executor));
  worker = new SampleWorker(queue, runs, samples, processor, finalizer, new EvalMetrics(new Registry()), logger, { concurrency: 4 });
  worker.start();
  rescore = new RescoreRunUseCase(runs, samples, catalog, queue, logger, { platformVersion: '0.2.0' });
  retry = new RetryErroredUseCase(runs, queue, logger);
  compare = new CompareRunsUseCase(runs, samples);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await queue?.stop();
  await prisma?.$disconnect();
  await db?.drop();
});

describe('re-scoring a run', () => {
  it('with the same scorer gives the same scores, calls no model, and reports the errored source sample', async () => {
    const source = await storedRun('scorers');
    const created = await rescore.execute({ team: 'scorers', runId: source.id });
    expect(created).toMatchObject({ sourceRunId: source.id, benchmarkVersion: '1.0.0', modelName: 'sim:oracle', totalSamples: 8 });
    expect(created.spec.rescore).toEqual({ sourceRunId: source.id, sourceBenchmarkRef: 'gsm8k@1.0.0', scorerRef: 'gsm8k@1.0.0' });
    const done = await waitFinal(created.id);
    expect(done.status).toBe('SUCCEEDED');

    const [before, after] = [await rowsOf(source.id), await rowsOf(created.id)];
    expect(after.map((r) => [r.itemId, r.status, r.score])).toEqual(before.map((r) => [r.itemId, r.status, r.score]));
    expect(after.map((r) => r.score)).toEqual([1, 1, 1, 1, 0, 0, null, 1]);
    expect(after[6]!.error).toMatch(/^cannot re-score: the source sample errored \(UPSTREAM_FAILED: endpoint down\).*lemur runs retry/);
    expect(after[0]).toMatchObject({ completion: before[0]!.completion, promptTokens: 0 });
    expect(after[0]!.scoreDetail).toMatchObject({ scorer: 'gsm8k@1.0.0', rescoredFrom: { runId: source.id, score: 1, scorer: 'gsm8k@1.0.0' } });
    expect(done.summary).toMatchObject({ counts: { total: 8, scored: 7, errored: 1, pending: 0 }, promptTokens: 0 });
    expect(modelCalls).toEqual([]);
    expect(sandboxCalls).toEqual([]);

    const c = await compare.execute({ team: 'scorers', runA: source.id, runB: created.id });
    expect(c).toMatchObject({ n: 7, delta: 0, improvedCount: 0, regressedCount: 0, comparable: true });
  });

  it('after a scorer change gives the new scorer\'s scores, recorded as the new version, still without model calls', async () => {
    const source = await storedRun('scorers');
    catalog.scorerChanged = true;
    try {
      const created = await rescore.execute({ team: 'scorers', runId: source.id });
      expect(created).toMatchObject({ benchmarkVersion: '1.0.1', sourceRunId: source.id });
      expect(created.spec.rescore).toMatchObject({ sourceBenchmarkRef: 'gsm8k@1.0.0', scorerRef: 'gsm8k@1.0.1' });
      expect(created.spec.benchmarkRef).toBe('gsm8k@1.0.1');
      const done = await waitFinal(created.id);
      expect(done.status).toBe('SUCCEEDED');
      const after = await rowsOf(created.id);
      // Odd items are rejected by 1.0.1; the wrong answers (4, 5) stay wrong; the errored item stays unscored.
      expect(after.map((r) => r.score)).toEqual([1, 0, 1, 0, 0, 0, null, 0]);
      expect(after[1]!.scoreDetail).toMatchObject({ reason: 'scorer 1.0.1 rejects odd items', scorer: 'gsm8k@1.0.1' });

      const c = await compare.execute({ team: 'scorers', runA: source.id, runB: created.id });
      expect(c).toMatchObject({ n: 7, improvedCount: 0, regressedCount: 3 });
      expect([...c.regressedIds].sort()).toEqual(['gsm8k/1', 'gsm8k/3', 'gsm8k/7']);
      expect(c.delta).toBeCloseTo(-3 / 7, 10);
      // The scorer changed: compare says so rather than passing the two off as like for like.
      expect(c.differences).toContainEqual(expect.objectContaining({ field: 'benchmark', a: '"gsm8k@1.0.0"', b: '"gsm8k@1.0.1"' }));
      expect(modelCalls).toEqual([]);
    } finally {
      catalog.scorerChanged = false;
    }
  });

  it('is refused while a re-scoring of the same run is in flight: of four at once exactly one is created', async () => {
    const source = await storedRun('scorers');
    // Its samples are never queued, so the re-scoring run stays queued for as long as the test needs.
    const held = new RescoreRunUseCase(runs, samples, catalog, { enqueue: async () => undefined }, logger, { platformVersion: '0.2.0' });
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => held.execute({ team: 'scorers', runId: source.id })));
    const created = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(created).toHaveLength(1);
    const refusals = results.flatMap((r) => (r.status === 'rejected' ? [`${(r.reason as PlatformError).code}: ${(r.reason as Error).message}`] : []));
    expect(refusals).toHaveLength(3);
    for (const refusal of refusals) {
      expect(refusal).toBe(
        `RUN_STATE_CONFLICT: run ${source.id} is already being re-scored by run ${created[0]!.id} (queued); wait for it to finish (lemur runs show ${created[0]!.id}) or cancel it (lemur runs cancel ${created[0]!.id})`,
      );
    }
    expect(await prisma.run.count({ where: { sourceRunId: source.id } })).toBe(1);
    // Another run of the team is not held up by it.
    const other = await storedRun('scorers');
    const otherRescore = await held.execute({ team: 'scorers', runId: other.id });
    expect(otherRescore).toMatchObject({ sourceRunId: other.id, status: 'QUEUED' });
    expect(await runs.cancel(otherRescore.id)).toBe(true);
    // Once the first has ended (here: cancelled), the run can be re-scored again.
    expect(await runs.cancel(created[0]!.id)).toBe(true);
    const again = await rescore.execute({ team: 'scorers', runId: source.id });
    expect((await waitFinal(again.id)).status).toBe('SUCCEEDED');
    expect(await prisma.run.count({ where: { sourceRunId: source.id } })).toBe(2);
  });

  it('is refused for a running run and another team\'s run', async () => {
    const running = await storedRun('scorers', 'RUNNING');
    expect(await codeOf(rescore.execute({ team: 'scorers', runId: running.id }))).toMatch(/^RUN_STATE_CONFLICT: .*still running; re-score it once it has finished/);
    const mine = await storedRun('scorers');
    expect(await codeOf(rescore.execute({ team: 'intruders', runId: mine.id }))).toBe(`RUN_NOT_FOUND: run ${mine.id} not found`);
    expect(await prisma.run.count({ where: { sourceRunId: mine.id } })).toBe(0);
  });
});

/** A finished run of an agent benchmark whose samples hold the given episode transcripts, as the episode runner stores them. */
async function storedEpisodes(team: string, benchmarkName: string, transcripts: ((item: { id: string }, solution: string) => EpisodeEvent[])[]): Promise<RunRecord> {
  const { benchmark, loaded, ref } = await catalog.load(benchmarkName);
  const items = loaded.items.slice(0, transcripts.length);
  const { run, sampleIds } = await runs.createWithSamples({
    teamId: await runs.ensureTeam(team),
    modelName: 'sim:replay',
    benchmark: benchmark.name,
    benchmarkVersion: benchmark.version,
    config: { limit: items.length, samplesPerItem: 1, concurrency: 4, chat: true },
    spec: {
      benchmarkRef: ref,
      datasetFile: benchmark.dataset.name,
      datasetSha256: loaded.datasetSha256,
      datasetSource: loaded.source,
      promptTemplateHash: benchmark.promptTemplateHash,
      metric: benchmark.metric,
      sampling: { ...benchmark.sampling },
      platformVersion: '0.1.0',
      items: items.length,
      agent: { protocol: benchmark.agent!.protocol, scoringRules: benchmark.agent!.scoringRules, ...benchmark.agent!.budget, cellTimeoutMs: 1000, tools: [] },
    },
    samples: items.map((item, itemIndex) => ({ itemId: item.id, itemIndex, sampleIndex: 0 })),
  });
  for (const [i, item] of items.entries()) {
    const solution = /<solution>([\s\S]*?)<\/solution>/.exec(benchmark.referenceCompletion(item, { chat: true }))?.[1]?.trim() ?? benchmark.referenceCompletion(item, { chat: true });
    const events = transcripts[i]!(item, solution);
    const verdict = events.find((e) => e.role === 'verdict') as Extract<EpisodeEvent, { role: 'verdict' }>;
    await prisma.sample.update({
      where: { id: sampleIds[i]! },
      data: {
        status: 'SCORED',
        prompt: 'the first turn',
        completion: 'the last model turn',
        score: verdict.success ? 1 : 0,
        passed: verdict.success,
        scoreDetail: { reason: verdict.reason, terminateReason: verdict.terminateReason },
        transcript: events as unknown as object[],
      },
    });
  }
  await prisma.run.update({ where: { id: run.id }, data: { status: 'SUCCEEDED', startedAt: new Date(), finishedAt: new Date() } });
  return (await runs.findById(run.id))!;
}

const turn = (content: string): EpisodeEvent => ({ role: 'model', content, endpoint: 'replay', attempts: 1, promptTokens: 10, completionTokens: 5, latencyMs: 1, finishReason: 'stop' });
const proposal = (solution: string, success: boolean): EpisodeEvent => ({ role: 'action', kind: 'propose', solution, success, reason: success ? 'correct' : 'wrong' });
const end = (success: boolean, terminateReason: string): EpisodeEvent => ({ role: 'verdict', success, terminateReason, reason: terminateReason });

describe('re-scoring agent episodes', () => {
  it("re-judges MINT proposals with the current scorer, and says per sample when the transcript cannot tell", async () => {
    const source = await storedEpisodes('agents', 'mint-gsm8k', [
      (_item, solution) => [turn('a'), proposal(solution, true), end(true, 'task_success')],
      () => [turn('a'), proposal('zzz', false), turn('b'), proposal('zzz', false), end(false, 'max_propose_steps')],
      // Recorded by a scorer that accepted a wrong answer on the first of five steps: the episode would have gone on.
      () => [turn('a'), proposal('zzz', true), end(true, 'task_success')],
      // Rejected then, right now: the episode would have ended there with success.
      (_item, solution) => [turn('a'), proposal(solution, false), turn('b'), proposal('zzz', false), end(false, 'max_propose_steps')],
    ]);
    const created = await rescore.execute({ team: 'agents', runId: source.id });
    expect(created.spec.rescore).toMatchObject({ sourceScoringRules: source.spec.agent!.scoringRules, scoringRules: source.spec.agent!.scoringRules });
    const done = await waitFinal(created.id);
    const rows = await rowsOf(created.id);
    expect(rows.map((r) => [r.status, r.score])).toEqual([
      ['SCORED', 1],
      ['SCORED', 0],
      ['ERRORED', null],
      ['SCORED', 1],
    ]);
    expect(rows[2]!.error).toMatch(/^cannot re-score: proposal 1 was accepted when recorded and is rejected now .*only a fresh run can tell/);
    expect(rows[3]!.scoreDetail).toMatchObject({ terminateReason: 'task_success', proposals: [{ recorded: false, now: true }] });
    expect(done.summary).toMatchObject({ counts: { scored: 3, errored: 1 } });
    expect(modelCalls).toEqual([]);
  });

  it('refuses, per sample, to re-judge InterCode-Bash, whose judge reads the live shell', async () => {
    const source = await storedEpisodes('agents', 'intercode-bash', [(_item, solution) => [turn(solution), proposal(solution, true), end(true, 'task_success')]]);
    const done = await waitFinal((await rescore.execute({ team: 'agents', runId: source.id })).id);
    expect(done.status).toBe('FAILED');
    const [row] = await rowsOf(done.id);
    expect(row).toMatchObject({ status: 'ERRORED', score: null, error: expect.stringMatching(/^cannot re-score: intercode-bash's judge reads the episode's live shell session.*start a fresh run/) });
  });
});

describe('retrying errored samples', () => {
  it('is refused for running and cancelled runs, runs without errors, and another team\'s run, changing nothing', async () => {
    const running = await storedRun('retriers', 'RUNNING');
    expect(await codeOf(retry.execute({ team: 'retriers', runId: running.id }))).toMatch(/^RUN_STATE_CONFLICT: .*still running; retry its errored samples once it has finished/);
    const cancelled = await storedRun('retriers', 'CANCELLED');
    expect(await codeOf(retry.execute({ team: 'retriers', runId: cancelled.id }))).toMatch(/^RUN_STATE_CONFLICT: .*was cancelled/);
    const clean = await storedRun('retriers', 'SUCCEEDED', false);
    expect(await codeOf(retry.execute({ team: 'retriers', runId: clean.id }))).toMatch(/^RUN_STATE_CONFLICT: .*has no errored samples to retry/);
    const errored = await storedRun('retriers');
    expect(await codeOf(retry.execute({ team: 'intruders', runId: errored.id }))).toBe(`RUN_NOT_FOUND: run ${errored.id} not found`);
    expect((await runs.findById(errored.id))!.status).toBe('SUCCEEDED');
    expect(await prisma.sample.count({ where: { runId: errored.id, status: 'ERRORED' } })).toBe(1);
    expect(await prisma.sample.count({ where: { runId: running.id, status: 'ERRORED' } })).toBe(1);
  });
});
