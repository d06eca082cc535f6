// The listings the web UI pages through: runs filtered by model, benchmark, status and schedule (keyset pages stay
// correct under a filter), samples filtered by verdict, and one sample of a run by id (never another run's).
import type { PrismaClient } from '@lemur/shared-database';
import { describe, expect, it } from 'vitest';
import { listedSamples, useTestRepositories } from './repositories.test-fixture';
import type { RunRepository } from './run.repository';
import type { SampleRepository } from './sample.repository';
import type { RunSpec } from './run.types';

let prisma: PrismaClient;
let runs: RunRepository;
let samples: SampleRepository;
useTestRepositories((r) => ({ prisma, runs, samples } = r));

const spec: RunSpec = {
  benchmarkRef: 'gsm8k@1',
  datasetFile: 'gsm8k/test.jsonl',
  datasetSha256: 'abc',
  datasetSource: 'openai/grade-school-math',
  promptTemplateHash: 'def',
  metric: 'accuracy',
  sampling: { maxTokens: 64, temperature: 0, topP: 1, stop: [] },
  platformVersion: '0.1.0',
  items: 4,
};

async function createRun(team: string, modelName: string, benchmark: string, items: number) {
  const teamId = await runs.ensureTeam(team);
  const { run, sampleIds } = await runs.createWithSamples({
    teamId,
    modelName,
    benchmark,
    benchmarkVersion: '1',
    config: { limit: items, samplesPerItem: 1, concurrency: 2, chat: true },
    spec,
    samples: Array.from({ length: items }, (_, i) => ({ itemId: `${benchmark}/${i}`, itemIndex: i, sampleIndex: 0 })),
  });
  return { run, sampleIds, teamId };
}

describe('run listing filters', () => {
  it('filters by model, benchmark, status and schedule, and pages correctly under a filter', async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await createRun('filters', i % 2 === 0 ? 'model-a' : 'model-b', i < 3 ? 'gsm8k' : 'humaneval', 1));
    await createRun('other-team', 'model-a', 'gsm8k', 1);
    const teamId = made[0]!.teamId;
    await runs.markRunning(made[4]!.run.id);
    const ids = (page: { items: { id: string }[] }) => page.items.map((r) => r.id);

    const modelA = await runs.listForTeam(teamId, { limit: 10, filter: { modelName: 'model-a' } });
    expect(ids(modelA)).toEqual([made[4]!.run.id, made[2]!.run.id, made[0]!.run.id]);
    expect(ids(await runs.listForTeam(teamId, { limit: 10, filter: { benchmark: 'humaneval' } }))).toEqual([made[4]!.run.id, made[3]!.run.id]);
    expect(ids(await runs.listForTeam(teamId, { limit: 10, filter: { status: 'RUNNING' } }))).toEqual([made[4]!.run.id]);
    expect(ids(await runs.listForTeam(teamId, { limit: 10, filter: { modelName: 'model-b', benchmark: 'gsm8k' } }))).toEqual([made[1]!.run.id]);

    const first = await runs.listForTeam(teamId, { limit: 2, filter: { modelName: 'model-a' } });
    expect(ids(first)).toEqual([made[4]!.run.id, made[2]!.run.id]);
    const second = await runs.listForTeam(teamId, { limit: 2, cursor: first.nextCursor!, filter: { modelName: 'model-a' } });
    expect(ids(second)).toEqual([made[0]!.run.id]);
    expect(second.nextCursor).toBeNull();

    const schedule = await prisma.schedule.create({
      data: { teamId, name: 'nightly', cron: '0 3 * * *', timezone: 'UTC', modelName: 'model-a', benchmarks: ['gsm8k'], config: {}, baseline: 'previous', nextRunAt: new Date() },
    });
    await prisma.run.update({ where: { id: made[2]!.run.id }, data: { scheduleId: schedule.id } });
    expect(ids(await runs.listForTeam(teamId, { limit: 10, filter: { scheduleId: schedule.id } }))).toEqual([made[2]!.run.id]);
  });
});

describe('sample lookups', () => {
  it('lists failed samples only, and finds one sample of a run but not of another run', async () => {
    const { run, sampleIds } = await createRun('lookups', 'model-a', 'gsm8k', 6);
    const other = await createRun('lookups', 'model-a', 'gsm8k', 1);
    for (const [i, id] of sampleIds.entries()) {
      await samples.recordResult(id, {
        status: i === 5 ? 'ERRORED' : 'SCORED',
        prompt: `Q${i}`,
        completion: 'A',
        score: i === 5 ? null : i % 2,
        passed: i === 5 ? null : i % 2 === 1,
        scoreDetail: null,
        transcript: [{ role: 'model', content: `turn ${i}` }],
        promptTokens: 1,
        completionTokens: 1,
        latencyMs: 1,
        error: i === 5 ? 'INTERNAL: boom' : null,
      });
    }
    const failed = await listedSamples(samples, run, { status: 'SCORED', passed: false, limit: 2 });
    expect(failed.items.map((s) => s.itemIndex)).toEqual([0, 2]);
    const rest = await listedSamples(samples, run, { status: 'SCORED', passed: false, limit: 2, cursor: failed.nextCursor! });
    expect(rest.items.map((s) => s.itemIndex)).toEqual([4]);
    expect(rest.nextCursor).toBeNull();
    expect((await listedSamples(samples, run, { passed: true, limit: 10 })).items.map((s) => s.itemIndex)).toEqual([1, 3]);

    const one = await samples.findInRun(run.id, sampleIds[3]!);
    expect(one).toMatchObject({ id: sampleIds[3], itemIndex: 3, prompt: 'Q3', passed: true, transcript: [{ role: 'model', content: 'turn 3' }] });
    expect(await samples.findInRun(other.run.id, sampleIds[3]!)).toBeNull();
  });
});
