import { create } from '@bufbuild/protobuf';
import type { JsonObject } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { evalV1 } from '@lemur/proto';
import type { SampleView } from './run-store';
import type { RunSummaryData } from './run-summary';
import type { RunRecord, SampleStatusName } from './run.types';

const RUN_STATUS: Record<RunRecord['status'], evalV1.RunStatus> = {
  QUEUED: evalV1.RunStatus.QUEUED,
  RUNNING: evalV1.RunStatus.RUNNING,
  SUCCEEDED: evalV1.RunStatus.SUCCEEDED,
  FAILED: evalV1.RunStatus.FAILED,
  CANCELLED: evalV1.RunStatus.CANCELLED,
};

const SAMPLE_STATUS: Record<SampleStatusName, evalV1.SampleStatus> = {
  PENDING: evalV1.SampleStatus.PENDING,
  SCORED: evalV1.SampleStatus.SCORED,
  ERRORED: evalV1.SampleStatus.ERRORED,
  CANCELLED: evalV1.SampleStatus.CANCELLED,
};

/** The stored status name for a proto sample status filter (undefined = no filter). */
export function sampleStatusFilter(status: evalV1.SampleStatus): SampleStatusName | undefined {
  const entry = Object.entries(SAMPLE_STATUS).find(([, value]) => value === status);
  return entry?.[0] as SampleStatusName | undefined;
}

function toJsonObject(value: unknown): JsonObject {
  return JSON.parse(JSON.stringify(value ?? {})) as JsonObject;
}

/** The wire form of a run with its summary. */
export function toRunMessage(run: RunRecord, teamName: string, summary: RunSummaryData | null): evalV1.Run {
  return create(evalV1.RunSchema, {
    id: run.id,
    team: teamName,
    model: run.modelName,
    benchmark: run.benchmark,
    benchmarkVersion: run.benchmarkVersion,
    status: RUN_STATUS[run.status],
    config: {
      limit: run.config.limit,
      samplesPerItem: run.config.samplesPerItem,
      concurrency: run.config.concurrency,
      chat: run.config.chat,
      ...(run.config.temperature !== undefined ? { temperature: run.config.temperature } : {}),
      ...(run.config.maxTokens !== undefined ? { maxTokens: run.config.maxTokens } : {}),
      ...(run.config.topP !== undefined ? { topP: run.config.topP } : {}),
      ...(run.config.seed !== undefined ? { seed: BigInt(run.config.seed) } : {}),
    },
    spec: toJsonObject(run.spec),
    ...(summary
      ? {
          summary: {
            metrics: summary.metrics.map((m) => ({ name: m.name, value: m.value, ciLow: m.ci[0], ciHigh: m.ci[1], method: m.method, n: m.n })),
            counts: summary.counts,
            promptTokens: BigInt(summary.promptTokens),
            completionTokens: BigInt(summary.completionTokens),
            elapsedSeconds: summary.elapsedSeconds,
            completionTokensPerSecond: summary.completionTokensPerSecond,
          },
        }
      : {}),
    error: run.error ?? '',
    createdAt: timestampFromDate(run.createdAt),
    ...(run.startedAt ? { startedAt: timestampFromDate(run.startedAt) } : {}),
    ...(run.finishedAt ? { finishedAt: timestampFromDate(run.finishedAt) } : {}),
  });
}

/** The wire form of a sample, with its transcript and score detail. */
export function toSampleMessage(sample: SampleView): evalV1.Sample {
  return create(evalV1.SampleSchema, {
    id: sample.id,
    itemId: sample.itemId,
    itemIndex: sample.itemIndex,
    sampleIndex: sample.sampleIndex,
    status: SAMPLE_STATUS[sample.status],
    prompt: sample.prompt ?? '',
    completion: sample.completion ?? '',
    ...(sample.score !== null ? { score: sample.score } : {}),
    ...(sample.passed !== null ? { passed: sample.passed } : {}),
    error: sample.error ?? '',
    promptTokens: sample.promptTokens ?? 0,
    completionTokens: sample.completionTokens ?? 0,
    latencyMs: sample.latencyMs ?? 0,
    detail: toJsonObject({ score: sample.scoreDetail ?? null, transcript: sample.transcript ?? null, attempts: sample.attempts }),
  });
}
