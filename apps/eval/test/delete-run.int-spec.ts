// Deleting a run against real Postgres and the real pg-boss queue, through the EvalService handler: the run goes with
// exactly its samples in one transaction; active runs, another team's runs, a schedule's fixed baseline and a run being
// re-scored are refused with nothing changed; re-scoring runs and suite runs keep what they can; and a sample job taken
// before the run was cancelled and deleted finds nothing to do.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { evalV1 } from '@lemur/proto';
import { createPrismaClient, type PrismaClient } from '@lemur/shared-database';
import { PlatformError } from '@lemur/shared-errors';
import { createLogger } from '@lemur/shared-logging';
import { grpcServiceDefinition, toGrpcError } from '@lemur/shared-grpc';
import { createTestDatabase, type TestDatabase } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchmarkCatalog } from '../src/benchmarks/benchmark-catalog';
import { SampleQueue } from '../src/queue/sample-queue';
import type { CompareRunsUseCase } from '../src/runs/compare-runs/compare-runs.usecase';
import { DeleteRunUseCase } from '../src/runs/delete-run/delete-run.usecase';
import { RunFinalizer } from '../src/runs/run-finalizer';
import { RunRepository } from '../src/runs/run.repository';
import type { RunRecord, RunSpec, RunStatusName } from '../src/runs/run.types';
import { RunsGrpcHandler } from '../src/runs/runs.grpc-handler';
import { SampleRepository } from '../src/runs/sample.repository';
import type { StartRunUseCase } from '../src/runs/start-run/start-run.usecase';

const logger = createLogger('eval', 'silent');
const spec: RunSpec = {
  benchmarkRef: 'gsm8k@1.0.0',
  datasetFile: 'gsm8k/test.jsonl',
  datasetSha256: 'abc',
  datasetSource: 'shared',
  promptTemplateHash: 'def',
  metric: 'accuracy',
  sampling: { maxTokens: 64, temperature: 0, topP: 1, stop: [] },
  platformVersion: '0.1.0',
  items: 3,
};

let db: TestDatabase;
let prisma: PrismaClient;
let runs: RunRepository;
let samples: SampleRepository;
let queue: SampleQueue;
let handler: RunsGrpcHandler;

const definition = grpcServiceDefinition(evalV1.EvalService);
/** The answer as the gateway receives it: serialized by the service's serializer, decoded by the client's. */
const wire = (answer: unknown) => definition['DeleteRun']!.responseDeserialize(definition['DeleteRun']!.responseSerialize(answer)) as evalV1.DeleteRunResponse;

const deleteRun = (team: string, id: string) => handler.deleteRun({ team, id } as evalV1.DeleteRunRequest);

/** A run of `items` samples as the workers leave one: scored, then moved to `status`. */
async function storedRun(team: string, status: RunStatusName, items = 3, extra: { sourceRunId?: string; suiteRunId?: string } = {}): Promise<{ run: RunRecord; sampleIds: string[] }> {
  const { run, sampleIds } = await runs.createWithSamples({
    teamId: await runs.ensureTeam(team),
    modelName: 'sim:oracle',
    benchmark: 'gsm8k',
    benchmarkVersion: '1.0.0',
    config: { limit: items, samplesPerItem: 1, concurrency: 1, chat: false },
    spec,
    samples: Array.from({ length: items }, (_, i) => ({ itemId: `gsm8k/${i}`, itemIndex: i, sampleIndex: 0 })),
    ...extra,
  });
  if (status !== 'QUEUED') {
    for (const id of sampleIds) {
      await prisma.sample.update({ where: { id }, data: { status: 'SCORED', completion: 'The answer is 42.', score: 1, passed: true, attempts: 1 } });
    }
    await prisma.run.update({
      where: { id: run.id },
      data: {
        status,
        startedAt: new Date(),
        ...(status === 'RUNNING' ? {} : { finishedAt: new Date() }),
        ...(status === 'SUCCEEDED' ? { summary: { metrics: [], counts: { total: items, pending: 0, scored: items, errored: 0, cancelled: 0 }, promptTokens: 0, completionTokens: 0, elapsedSeconds: 1, completionTokensPerSecond: 0 } } : {}),
      },
    });
  }
  return { run: (await runs.findById(run.id))!, sampleIds };
}

async function failure(p: Promise<unknown>): Promise<PlatformError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PlatformError);
  return err as PlatformError;
}

const sampleCount = (runId: string) => prisma.sample.count({ where: { runId } });

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = createPrismaClient(db.url);
  runs = new RunRepository(prisma);
  samples = new SampleRepository(prisma);
  queue = new SampleQueue(db.url, { expireInSeconds: 30, maintenanceSeconds: 30, retryLimit: 3 }, logger);
  await queue.start();
  handler = new RunsGrpcHandler(
    null as unknown as StartRunUseCase,
    runs,
    samples,
    null as unknown as RunFinalizer,
    null as unknown as BenchmarkCatalog,
    null as unknown as CompareRunsUseCase,
    new DeleteRunUseCase(runs, queue, logger),
  );
}, 60_000);

afterAll(async () => {
  await queue?.stop();
  await prisma?.$disconnect();
  await db?.drop();
});

describe('deleting a run', () => {
  it('removes the run and exactly its samples, and answers with the run as it was', async () => {
    const { run } = await storedRun('deleters', 'SUCCEEDED', 4);
    const sibling = await storedRun('deleters', 'SUCCEEDED', 3);
    const elsewhere = await storedRun('bystanders', 'FAILED', 2);

    const answer = wire(await deleteRun('deleters', run.id));
    expect(answer.deletedSamples).toBe(4);
    expect(answer.run).toMatchObject({ id: run.id, team: 'deleters', model: 'sim:oracle', benchmark: 'gsm8k', status: evalV1.RunStatus.SUCCEEDED });
    expect(answer.run?.summary?.counts?.scored).toBe(4);

    expect(await prisma.run.findUnique({ where: { id: run.id } })).toBeNull();
    expect(await sampleCount(run.id)).toBe(0);
    expect(await sampleCount(sibling.run.id)).toBe(3);
    expect(await sampleCount(elsewhere.run.id)).toBe(2);
    expect(await prisma.run.count({ where: { id: { in: [sibling.run.id, elsewhere.run.id] } } })).toBe(2);

    // Gone is gone: the second delete is a plain not-found.
    expect((await failure(deleteRun('deleters', run.id))).code).toBe('RUN_NOT_FOUND');
  });

  it('deletes a cancelled run, with its queue and the jobs it still held', async () => {
    const { run, sampleIds } = await storedRun('deleters', 'QUEUED', 3);
    await queue.enqueue(run.id, sampleIds);
    expect(await runs.cancel(run.id)).toBe(true);
    const jobs = async () => (await prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = ${`run.${run.id}`}`)[0]!.n;
    expect(await jobs()).toBe(3);

    const answer = wire(await deleteRun('deleters', run.id));
    expect(answer).toMatchObject({ deletedSamples: 3, run: { status: evalV1.RunStatus.CANCELLED } });
    expect(answer.run?.summary).toBeUndefined();
    expect(await jobs()).toBe(0);
  });

  it.each(['QUEUED', 'RUNNING'] as const)('refuses a %s run (FAILED_PRECONDITION: cancel it first) and changes nothing', async (status) => {
    const { run } = await storedRun('deleters', status, 2);
    const err = await failure(deleteRun('deleters', run.id));
    expect(err.code).toBe('RUN_STATE_CONFLICT');
    expect(err.message).toBe(`run ${run.id} is still ${status.toLowerCase()}; cancel it first (lemur runs cancel ${run.id}), then delete it`);
    expect(toGrpcError(err).code).toBe(GrpcStatus.FAILED_PRECONDITION);
    expect((await runs.findById(run.id))?.status).toBe(status);
    expect(await sampleCount(run.id)).toBe(2);
  });

  it("answers for another team's run exactly as for a missing one, and keeps it", async () => {
    const { run } = await storedRun('owners', 'SUCCEEDED', 2);
    const intruder = await failure(deleteRun('intruders', run.id));
    const missing = await failure(deleteRun('intruders', '00000000-0000-4000-8000-000000000000'));
    expect(intruder.code).toBe('RUN_NOT_FOUND');
    expect(toGrpcError(intruder).code).toBe(GrpcStatus.NOT_FOUND);
    expect(intruder.message.replace(run.id, 'X')).toBe(missing.message.replace('00000000-0000-4000-8000-000000000000', 'X'));
    expect(await sampleCount(run.id)).toBe(2);
    expect((await failure(deleteRun('owners', 'not-a-uuid'))).code).toBe('INVALID_ARGUMENT');
  });

  it("refuses the fixed baseline of a schedule, naming it, until the schedule is deleted; a 'previous' schedule's runs are free", async () => {
    const { run } = await storedRun('scheduled', 'SUCCEEDED', 2);
    const teamId = await runs.ensureTeam('scheduled');
    const schedule = (base: string, name: string) =>
      prisma.schedule.create({ data: { teamId, name, cron: '0 3 * * *', timezone: 'UTC', modelName: 'sim:oracle', benchmarks: ['gsm8k'], config: {}, baseline: base, nextRunAt: new Date() } });
    const nightly = await schedule(run.id, 'nightly');
    const daily = await schedule('previous', 'daily');
    const scheduledRun = await storedRun('scheduled', 'SUCCEEDED', 1);
    await prisma.run.update({ where: { id: scheduledRun.run.id }, data: { scheduleId: daily.id } });

    const err = await failure(deleteRun('scheduled', run.id));
    expect(err.code).toBe('RUN_STATE_CONFLICT');
    expect(err.message).toContain(`is the baseline of schedule "nightly" (${nightly.id})`);
    expect(err.message).toContain(`lemur schedules delete ${nightly.id}`);
    expect(await sampleCount(run.id)).toBe(2);

    expect(wire(await deleteRun('scheduled', scheduledRun.run.id)).deletedSamples).toBe(1);
    await prisma.schedule.delete({ where: { id: nightly.id } });
    expect(wire(await deleteRun('scheduled', run.id)).deletedSamples).toBe(2);
  });

  it('refuses a run an active re-scoring run reads; once that finished, deletes it and keeps the re-scoring run', async () => {
    const source = await storedRun('rescorers', 'SUCCEEDED', 3);
    const rescoring = await storedRun('rescorers', 'RUNNING', 3, { sourceRunId: source.run.id });

    const err = await failure(deleteRun('rescorers', source.run.id));
    expect(err.code).toBe('RUN_STATE_CONFLICT');
    expect(err.message).toContain(`is being re-scored by run ${rescoring.run.id} (running)`);
    expect(await sampleCount(source.run.id)).toBe(3);

    await runs.finish(rescoring.run.id, 'SUCCEEDED', { counts: { total: 3 } });
    expect(wire(await deleteRun('rescorers', source.run.id)).deletedSamples).toBe(3);
    const kept = await runs.findById(rescoring.run.id);
    expect(kept).toMatchObject({ status: 'SUCCEEDED', sourceRunId: null });
    expect(await sampleCount(rescoring.run.id)).toBe(3);
  });

  it("keeps a suite run's member with the reason it has no run, leaving the other members as they were", async () => {
    const teamId = await runs.ensureTeam('suites');
    const suite = await prisma.suiteRun.create({ data: { teamId, name: 'lemur-paper', modelName: 'sim:oracle', config: {}, members: [] } });
    const gsm = await storedRun('suites', 'SUCCEEDED', 2, { suiteRunId: suite.id });
    const other = await storedRun('suites', 'SUCCEEDED', 2, { suiteRunId: suite.id });
    const members = [
      { key: 'gsm8k', benchmark: 'gsm8k', feedback: false, state: 'STARTED', runId: gsm.run.id },
      { key: 'humaneval', benchmark: 'humaneval', feedback: false, state: 'STARTED', runId: other.run.id },
      { key: 'webshop', benchmark: 'webshop', feedback: false, state: 'SKIPPED', reason: 'data missing' },
    ];
    await prisma.suiteRun.update({ where: { id: suite.id }, data: { members } });

    await deleteRun('suites', gsm.run.id);
    const after = (await prisma.suiteRun.findUniqueOrThrow({ where: { id: suite.id } })).members;
    expect(after).toEqual([{ ...members[0], reason: `its run ${gsm.run.id} was deleted` }, members[1], members[2]]);
  });

  it('is one transaction: when the run row cannot be deleted, its samples and its suite run stay as they were', async () => {
    const teamId = await runs.ensureTeam('atomic');
    const members = [{ key: 'gsm8k', benchmark: 'gsm8k', feedback: false, state: 'STARTED' }];
    const suite = await prisma.suiteRun.create({ data: { teamId, name: 'lemur-paper', modelName: 'sim:oracle', config: {}, members } });
    const { run } = await storedRun('atomic', 'SUCCEEDED', 3, { suiteRunId: suite.id });
    await prisma.suiteRun.update({ where: { id: suite.id }, data: { members: [{ ...members[0], runId: run.id }] } });
    // The last statement of the deletion fails, after the suite run and the samples were written.
    await prisma.$executeRawUnsafe(`CREATE FUNCTION refuse_run_delete() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF OLD.id = '${run.id}' THEN RAISE EXCEPTION 'run row locked by the test'; END IF; RETURN OLD; END $$`);
    await prisma.$executeRawUnsafe('CREATE TRIGGER refuse_run_delete BEFORE DELETE ON run FOR EACH ROW EXECUTE FUNCTION refuse_run_delete()');
    try {
      await expect(deleteRun('atomic', run.id)).rejects.toThrow(/run row locked by the test/);
      expect(await sampleCount(run.id)).toBe(3);
      expect((await prisma.suiteRun.findUniqueOrThrow({ where: { id: suite.id } })).members).toEqual([{ ...members[0], runId: run.id }]);
    } finally {
      await prisma.$executeRawUnsafe('DROP TRIGGER refuse_run_delete ON run');
      await prisma.$executeRawUnsafe('DROP FUNCTION refuse_run_delete()');
    }
    expect(wire(await deleteRun('atomic', run.id)).deletedSamples).toBe(3);
  });

  it('leaves nothing for a sample job taken before the run was cancelled and deleted: no claim, no result, no run', async () => {
    const { run, sampleIds } = await storedRun('late', 'QUEUED', 2);
    await prisma.run.update({ where: { id: run.id }, data: { status: 'RUNNING' } });
    await queue.enqueue(run.id, sampleIds);
    const [job] = await queue.fetch(run.id, 1);
    expect(job).toBeDefined();
    await runs.cancel(run.id);
    await deleteRun('late', run.id);

    // What the worker does with it (SampleWorker.handle): claim, and on nothing to claim, complete the job.
    expect(await samples.claim(job!.sampleId)).toBeNull();
    await queue.complete(job!);
    // A result stored by a worker that had claimed the sample before is dropped, and the run is not re-created.
    expect(await samples.recordResult(job!.sampleId, { status: 'SCORED', prompt: 'p', completion: 'c', score: 1, passed: true, scoreDetail: null, transcript: null, promptTokens: 1, completionTokens: 1, latencyMs: 1, error: null })).toBe(false);
    await new RunFinalizer(runs, samples, queue, logger).finishIfDone(run.id);
    expect(await prisma.sample.count({ where: { id: { in: sampleIds } } })).toBe(0);
    expect(await prisma.run.findUnique({ where: { id: run.id } })).toBeNull();
  });
});
