import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { evalV1, type inferenceV1 } from '@lemur/proto';
import type { BenchmarkJson, ComparisonJson, ModelJson, RunJson, RunStatusName, SampleJson, SampleStatusName, ScheduleJson } from './run-response.schema';

const iso = (t: Timestamp | undefined) => (t ? timestampDate(t).toISOString() : null);

/** The REST name of a run status; values a newer eval service may add read as `unspecified`, not a crash. */
export function runStatusName(status: evalV1.RunStatus): RunStatusName {
  switch (status) {
    case evalV1.RunStatus.QUEUED:
      return 'queued';
    case evalV1.RunStatus.RUNNING:
      return 'running';
    case evalV1.RunStatus.SUCCEEDED:
      return 'succeeded';
    case evalV1.RunStatus.FAILED:
      return 'failed';
    case evalV1.RunStatus.CANCELLED:
      return 'cancelled';
    default:
      return 'unspecified';
  }
}

/** The REST name of a sample status. */
export function sampleStatusName(status: evalV1.SampleStatus): SampleStatusName {
  switch (status) {
    case evalV1.SampleStatus.PENDING:
      return 'pending';
    case evalV1.SampleStatus.SCORED:
      return 'scored';
    case evalV1.SampleStatus.ERRORED:
      return 'errored';
    case evalV1.SampleStatus.CANCELLED:
      return 'cancelled';
    default:
      return 'unspecified';
  }
}

const metricJson = (m: evalV1.MetricValue) => ({ name: m.name, value: m.value, ci: [m.ciLow, m.ciHigh] as [number, number], method: m.method, n: m.n });

/**
 * A run as the REST API shows it: plain camelCase JSON, lowercase statuses, ISO times, CIs as [low, high]. `specJson` is
 * the spec as JSON text when the eval service sent it beside the run (ListRuns) instead of in `run.spec`.
 */
export function runJson(run: evalV1.Run, specJson?: string): RunJson {
  const s = run.summary;
  const c = run.config;
  return {
    id: run.id,
    team: run.team,
    model: run.model,
    benchmark: run.benchmark,
    benchmarkVersion: run.benchmarkVersion,
    status: runStatusName(run.status),
    config: c
      ? {
          limit: c.limit,
          samples: c.samplesPerItem,
          concurrency: c.concurrency,
          chat: c.chat,
          ...(c.temperature !== undefined ? { temperature: c.temperature } : {}),
          ...(c.maxTokens !== undefined ? { maxTokens: c.maxTokens } : {}),
          ...(c.topP !== undefined ? { topP: c.topP } : {}),
          ...(c.seed !== undefined ? { seed: Number(c.seed) } : {}),
          ...(c.feedbackModel !== '' ? { feedbackModel: c.feedbackModel } : {}),
        }
      : null,
    spec: specJson !== undefined ? (JSON.parse(specJson) as RunJson['spec']) : (run.spec ?? null),
    summary: s
      ? {
          metrics: s.metrics.map(metricJson),
          ...(s.groups.length > 0 ? { groups: s.groups.map((g) => ({ name: g.name, metrics: g.metrics.map(metricJson) })) } : {}),
          counts: {
            total: s.counts?.total ?? 0,
            pending: s.counts?.pending ?? 0,
            scored: s.counts?.scored ?? 0,
            errored: s.counts?.errored ?? 0,
            cancelled: s.counts?.cancelled ?? 0,
          },
          promptTokens: Number(s.promptTokens),
          completionTokens: Number(s.completionTokens),
          elapsedSeconds: s.elapsedSeconds,
          completionTokensPerSecond: s.completionTokensPerSecond,
        }
      : null,
    ...(run.error ? { error: run.error } : {}),
    createdAt: iso(run.createdAt),
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    scheduleId: run.scheduleId || null,
    sourceRunId: run.sourceRunId || null,
    suiteRunId: run.suiteRunId || null,
    regression: run.regression
      ? {
          baselineRunId: run.regression.baselineRunId || null,
          regressed: run.regression.regressed,
          delta: run.regression.delta,
          ci: [run.regression.ciLow, run.regression.ciHigh],
          pValue: run.regression.pValue,
          significant: run.regression.significant,
          comparable: run.regression.comparable,
          regressedItems: run.regression.regressedItems,
          note: run.regression.note,
          checkedAt: iso(run.regression.checkedAt),
        }
      : null,
  };
}

/** A schedule as /v1/schedules reports it. */
export function scheduleJson(s: evalV1.Schedule): ScheduleJson {
  const c = s.config;
  return {
    id: s.id,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    model: s.model,
    benchmarks: s.benchmarks,
    config: {
      limit: c?.limit ?? 0,
      samples: c?.samplesPerItem ?? 1,
      concurrency: c?.concurrency ?? 0,
      chat: c?.chat ?? false,
      ...(c?.temperature !== undefined ? { temperature: c.temperature } : {}),
      ...(c?.maxTokens !== undefined ? { maxTokens: c.maxTokens } : {}),
      ...(c?.topP !== undefined ? { topP: c.topP } : {}),
      ...(c?.seed !== undefined ? { seed: Number(c.seed) } : {}),
    },
    baseline: s.baseline,
    enabled: s.enabled,
    webhookUrl: s.webhookUrl || null,
    nextRunAt: iso(s.nextRunAt),
    lastRunAt: iso(s.lastRunAt),
    lastSuccessAt: iso(s.lastSuccessAt),
    lastSkipReason: s.lastSkipReason || null,
    createdAt: iso(s.createdAt),
  };
}

/**
 * A sample with its transcript and the scorer's reasons. `detailJson` is the detail as JSON text when the eval service
 * sent it beside the sample (ListSamples) instead of in `sample.detail`.
 */
export function sampleJson(sample: evalV1.Sample, detailJson?: string): SampleJson {
  return {
    id: sample.id,
    itemId: sample.itemId,
    itemIndex: sample.itemIndex,
    sampleIndex: sample.sampleIndex,
    status: sampleStatusName(sample.status),
    score: sample.score ?? null,
    passed: sample.passed ?? null,
    prompt: sample.prompt,
    completion: sample.completion,
    error: sample.error || null,
    promptTokens: sample.promptTokens,
    completionTokens: sample.completionTokens,
    latencyMs: sample.latencyMs,
    detail: detailJson !== undefined ? (JSON.parse(detailJson) as SampleJson['detail']) : (sample.detail ?? null),
  };
}

/** A model as GET /v1/models lists it. */
export function modelJson(model: inferenceV1.ModelInfo): ModelJson {
  return { name: model.name, kind: model.kind, chat: model.chat, endpoints: model.endpoints, readyEndpoints: model.readyEndpoints };
}

/** A benchmark as GET /v1/benchmarks lists it, with its `name@version` ref. */
export function benchmarkJson(b: evalV1.BenchmarkInfo): BenchmarkJson {
  return { name: b.name, version: b.version, ref: `${b.name}@${b.version}`, metric: b.metric, items: b.items, dataset: b.dataset };
}

/** A run comparison as GET /v1/compare returns it. */
export function comparisonJson(c: evalV1.RunComparison): ComparisonJson {
  return {
    a: c.runA,
    b: c.runB,
    benchmark: c.benchmark,
    metric: c.metric,
    sharedItems: c.sharedItems,
    onlyInA: c.onlyInA,
    onlyInB: c.onlyInB,
    meanA: c.meanA,
    meanB: c.meanB,
    delta: c.delta,
    ci: [c.ciLow, c.ciHigh],
    confidence: c.confidence,
    bootstrapPValue: c.bootstrapPValue,
    mcnemar: c.mcnemar ? { improved: c.mcnemar.improved, regressed: c.mcnemar.regressed, pValue: c.mcnemar.pValue } : null,
    significant: c.significant,
    improved: { count: c.improvedCount, items: c.improvedItems },
    regressed: { count: c.regressedCount, items: c.regressedItems },
    differences: c.differences.map((d) => ({ field: d.field, a: d.a, b: d.b, breaksComparability: d.breaksComparability })),
    comparable: c.comparable,
  };
}

/** The proto sample status for a REST filter value. */
export function sampleStatusValue(status: 'pending' | 'scored' | 'errored' | 'cancelled' | undefined): evalV1.SampleStatus {
  switch (status) {
    case 'pending':
      return evalV1.SampleStatus.PENDING;
    case 'scored':
      return evalV1.SampleStatus.SCORED;
    case 'errored':
      return evalV1.SampleStatus.ERRORED;
    case 'cancelled':
      return evalV1.SampleStatus.CANCELLED;
    default:
      return evalV1.SampleStatus.UNSPECIFIED;
  }
}

/** The proto run status for a REST filter value. */
export function runStatusValue(status: Exclude<RunStatusName, 'unspecified'> | undefined): evalV1.RunStatus {
  switch (status) {
    case 'queued':
      return evalV1.RunStatus.QUEUED;
    case 'running':
      return evalV1.RunStatus.RUNNING;
    case 'succeeded':
      return evalV1.RunStatus.SUCCEEDED;
    case 'failed':
      return evalV1.RunStatus.FAILED;
    case 'cancelled':
      return evalV1.RunStatus.CANCELLED;
    default:
      return evalV1.RunStatus.UNSPECIFIED;
  }
}
