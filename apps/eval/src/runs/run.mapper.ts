import { create } from '@bufbuild/protobuf';
import type { JsonObject, MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { evalV1 } from '@lemur/proto';
import type { MetricSummary } from '@lemur/stats';
import type { SampleRow, SampleView } from './run-store';
import type { RunSummaryData } from './run-summary';
import type { RunConfigData, RunRecord, SampleStatusName } from './run.types';

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

/** A RunConfig message's settings as the start commands take them (unset optionals stay absent). */
export function runSettingsOf(config: evalV1.RunConfig | undefined) {
  const c = config ?? create(evalV1.RunConfigSchema);
  return {
    limit: c.limit,
    samplesPerItem: c.samplesPerItem,
    concurrency: c.concurrency,
    chat: c.chat,
    ...(c.temperature !== undefined ? { temperature: c.temperature } : {}),
    ...(c.maxTokens !== undefined ? { maxTokens: c.maxTokens } : {}),
    ...(c.topP !== undefined ? { topP: c.topP } : {}),
    ...(c.seed !== undefined ? { seed: Number(c.seed) } : {}),
    ...(c.feedbackModel !== '' ? { feedbackModel: c.feedbackModel } : {}),
  };
}

/** The wire form of stored run settings (a run's, a schedule's or a suite run's). */
export function runConfigMessage(c: RunConfigData): MessageInitShape<typeof evalV1.RunConfigSchema> {
  return {
    limit: c.limit,
    samplesPerItem: c.samplesPerItem,
    concurrency: c.concurrency,
    chat: c.chat,
    ...(c.temperature !== undefined ? { temperature: c.temperature } : {}),
    ...(c.maxTokens !== undefined ? { maxTokens: c.maxTokens } : {}),
    ...(c.topP !== undefined ? { topP: c.topP } : {}),
    ...(c.seed !== undefined ? { seed: BigInt(c.seed) } : {}),
    ...(c.feedbackModel !== undefined ? { feedbackModel: c.feedbackModel } : {}),
  };
}

/** The stored status name for a proto run status filter (undefined = no filter). */
export function runStatusFilter(status: evalV1.RunStatus): RunRecord['status'] | undefined {
  const entry = Object.entries(RUN_STATUS).find(([, value]) => value === status);
  return entry?.[0] as RunRecord['status'] | undefined;
}

/** The stored status name for a proto sample status filter (undefined = no filter). */
export function sampleStatusFilter(status: evalV1.SampleStatus): SampleStatusName | undefined {
  const entry = Object.entries(SAMPLE_STATUS).find(([, value]) => value === status);
  return entry?.[0] as SampleStatusName | undefined;
}

function toJsonObject(value: unknown): JsonObject {
  return JSON.parse(JSON.stringify(value ?? {})) as JsonObject;
}

function metricMessage(m: MetricSummary): MessageInitShape<typeof evalV1.MetricValueSchema> {
  return { name: m.name, value: m.value, ciLow: m.ci[0], ciHigh: m.ci[1], method: m.method, n: m.n };
}

/** The wire form of a run with its summary. */
export function toRunMessage(run: RunRecord, teamName: string, summary: RunSummaryData | null): evalV1.Run {
  return runMessage(run, teamName, summary, toJsonObject(run.spec));
}

function runMessage(run: RunRecord, teamName: string, summary: RunSummaryData | null, spec: JsonObject): evalV1.Run {
  return create(evalV1.RunSchema, {
    id: run.id,
    team: teamName,
    model: run.modelName,
    benchmark: run.benchmark,
    benchmarkVersion: run.benchmarkVersion,
    status: RUN_STATUS[run.status],
    config: runConfigMessage(run.config),
    spec,
    ...(summary
      ? {
          summary: {
            metrics: summary.metrics.map(metricMessage),
            groups: (summary.groups ?? []).map((g) => ({ name: g.name, metrics: g.metrics.map(metricMessage) })),
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
    scheduleId: run.scheduleId ?? '',
    sourceRunId: run.sourceRunId ?? '',
    suiteRunId: run.suiteRunId ?? '',
    ...(run.regression
      ? {
          regression: {
            baselineRunId: run.regression.baselineRunId ?? '',
            regressed: run.regression.regressed,
            delta: run.regression.delta,
            ciLow: run.regression.ci[0],
            ciHigh: run.regression.ci[1],
            pValue: run.regression.pValue,
            significant: run.regression.significant,
            comparable: run.regression.comparable,
            regressedItems: run.regression.regressedItems,
            note: run.regression.note,
            checkedAt: timestampFromDate(new Date(run.regression.checkedAt)),
          },
        }
      : {}),
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

/**
 * A sample as ExportSamples sends it: a message literal (no reflection per sample), its detail as JSON
 * text beside it with the shape the REST API gives it (`{score, transcript, attempts}`), never parsed here.
 */
export function toSampleWire(row: SampleRow): { sample: evalV1.Sample; detailJson: string } {
  const sample: evalV1.Sample = {
    $typeName: 'lemur.eval.v1.Sample',
    id: row.id,
    itemId: row.itemId,
    itemIndex: row.itemIndex,
    sampleIndex: row.sampleIndex,
    status: SAMPLE_STATUS[row.status],
    prompt: row.prompt ?? '',
    completion: row.completion ?? '',
    score: row.score ?? undefined,
    passed: row.passed ?? undefined,
    error: row.error ?? '',
    promptTokens: row.promptTokens ?? 0,
    completionTokens: row.completionTokens ?? 0,
    latencyMs: row.latencyMs ?? 0,
    detail: undefined,
  };
  return { sample, detailJson: `{"score":${row.scoreDetailJson ?? 'null'},"transcript":${row.transcriptJson ?? 'null'},"attempts":${row.attempts}}` };
}
