// ListRuns and ListSamples over real Postgres, their answers through the gRPC serializers: the page as one JSON array in
// UTF-8 bytes (what the gateway splices into its response), the same objects the repositories wrote, and never another
// team's run.
import { evalV1 } from '@lemur/proto';
import { PlatformError } from '@lemur/shared-errors';
import { grpcServiceDefinition } from '@lemur/shared-grpc';
import { describe, expect, it } from 'vitest';
import type { BenchmarkCatalog } from '../benchmarks/benchmark-catalog';
import type { CompareRunsUseCase } from './compare-runs/compare-runs.usecase';
import type { DeleteRunUseCase } from './delete-run/delete-run.usecase';
import { testRunSpec, useTestRepositories } from './repositories.test-fixture';
import type { RunFinalizer } from './run-finalizer';
import type { RunRepository } from './run.repository';
import { RunsGrpcHandler } from './runs.grpc-handler';
import type { SampleRepository } from './sample.repository';
import type { StartRunUseCase } from './start-run/start-run.usecase';

let runs: RunRepository;
let samples: SampleRepository;
useTestRepositories((r) => ({ runs, samples } = r));

// Listings of finished runs need nothing else; the live summary of an unfinished one is RunFinalizer's (tested there).
const handler = () =>
  new RunsGrpcHandler(
    null as unknown as StartRunUseCase,
    runs,
    samples,
    null as unknown as RunFinalizer,
    null as unknown as BenchmarkCatalog,
    null as unknown as CompareRunsUseCase,
    null as unknown as DeleteRunUseCase,
  );

const definition = grpcServiceDefinition(evalV1.EvalService);
/** The answer as the gateway receives it: serialized by the service's serializer, decoded by the client's. */
const wire = <T>(method: 'ListRuns' | 'ListSamples', answer: unknown): T => definition[method]!.responseDeserialize(definition[method]!.responseSerialize(answer)) as T;

const TEXT = 'émoji \u{1F600} "quoted" \u2028 中文 \\ end';

async function finishedRun(team: string, items: number) {
  const teamId = await runs.ensureTeam(team);
  const { run, sampleIds } = await runs.createWithSamples({
    teamId,
    modelName: `model ${TEXT}`,
    benchmark: 'humaneval',
    benchmarkVersion: '1',
    config: { limit: items, samplesPerItem: 1, concurrency: 1, chat: false },
    spec: testRunSpec({ items }),
    samples: Array.from({ length: items }, (_, i) => ({ itemId: `HumanEval/${i}`, itemIndex: i, sampleIndex: 0 })),
  });
  for (const [i, id] of sampleIds.entries()) {
    await samples.recordResult(id, {
      status: 'SCORED',
      prompt: `${TEXT} ${i}`,
      completion: TEXT,
      score: i / 3,
      passed: i % 2 === 0,
      scoreDetail: { reason: TEXT },
      transcript: [{ role: 'model', content: TEXT }],
      promptTokens: 1,
      completionTokens: 2,
      latencyMs: 3,
      error: null,
    });
  }
  await runs.markRunning(run.id);
  await runs.finish(run.id, 'SUCCEEDED', { counts: { total: items }, note: TEXT });
  return { teamId, run };
}

describe('RunsGrpcHandler listings', () => {
  it('sends a page of samples as one JSON array of the objects Postgres wrote, in UTF-8, with its cursor', async () => {
    const { run } = await finishedRun('grpc-samples', 5);
    const answer = wire<evalV1.ListSamplesResponse>('ListSamples', await handler().listSamples({ team: 'grpc-samples', runId: run.id, pageSize: 3 } as evalV1.ListSamplesRequest));
    const expected = await samples.pageJson(run, { limit: 3 });
    expect(Buffer.from(answer.samplesJsonArray).toString('utf8')).toBe(`[${expected.items.join(',')}]`);
    expect(answer.nextPageToken).toBe(expected.nextCursor);
    expect([answer.samples, answer.samplesJson, answer.detailsJson]).toStrictEqual([[], [], []]);
    const parsed = JSON.parse(Buffer.from(answer.samplesJsonArray).toString('utf8')) as { itemIndex: number; completion: string }[];
    expect(parsed.map((s) => [s.itemIndex, s.completion])).toStrictEqual([[0, TEXT], [1, TEXT], [2, TEXT]]);

    const rest = wire<evalV1.ListSamplesResponse>('ListSamples', await handler().listSamples({ team: 'grpc-samples', runId: run.id, pageSize: 3, pageToken: answer.nextPageToken } as evalV1.ListSamplesRequest));
    expect((JSON.parse(Buffer.from(rest.samplesJsonArray).toString('utf8')) as { itemIndex: number }[]).map((s) => s.itemIndex)).toStrictEqual([3, 4]);
    expect(rest.nextPageToken).toBe('');
    const none = await handler().listSamples({ team: 'grpc-samples', runId: run.id, pageSize: 3, status: evalV1.SampleStatus.PENDING } as evalV1.ListSamplesRequest);
    expect(Buffer.from(none.samplesJsonArray).toString('utf8')).toBe('[]');
  });

  it('sends a page of runs as one JSON array of RunJson objects, only the team\'s own', async () => {
    const { teamId, run } = await finishedRun('grpc-runs', 1);
    await finishedRun('grpc-runs-other', 1);
    const answer = wire<evalV1.ListRunsResponse>('ListRuns', await handler().listRuns({ team: 'grpc-runs', pageSize: 10 } as evalV1.ListRunsRequest));
    const listed = JSON.parse(Buffer.from(answer.runsJsonArray).toString('utf8')) as { id: string; team: string; model: string; summary: unknown }[];
    expect(listed).toMatchObject([{ id: run.id, team: 'grpc-runs', model: `model ${TEXT}`, summary: { counts: { total: 1 }, note: TEXT } }]);
    expect([answer.runs, answer.runsJson, answer.specsJson, answer.nextPageToken]).toStrictEqual([[], [], [], '']);
    expect((await runs.listJsonForTeam(teamId, { limit: 10 })).items.map((r) => r.id)).toStrictEqual([run.id]);
  });

  it('answers for another team\'s run as for a missing one', async () => {
    const { run } = await finishedRun('grpc-owner', 1);
    const error = await handler()
      .listSamples({ team: 'grpc-intruder', runId: run.id, pageSize: 10 } as evalV1.ListSamplesRequest)
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ code: 'RUN_NOT_FOUND' });
  });
});

