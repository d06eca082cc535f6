import { z } from 'zod';

/** Run statuses as the REST API spells them. */
export const runStatusNames = ['unspecified', 'queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type RunStatusName = (typeof runStatusNames)[number];

/** Sample statuses as the REST API spells them (also the values of the `status` filter, minus `unspecified`). */
export const sampleStatusNames = ['unspecified', 'pending', 'scored', 'errored', 'cancelled'] as const;
export type SampleStatusName = (typeof sampleStatusNames)[number];

const isoTime = z.iso.datetime().nullable().describe('ISO 8601 time, null until it happens');
const count = z.int().min(0);

const metricJson = z.object({
  name: z.string(),
  value: z.number(),
  ci: z.tuple([z.number(), z.number()]).describe('Confidence interval [low, high]'),
  method: z.string().describe('How the interval was computed, e.g. wilson, bootstrap'),
  n: count,
});

/** A finished scheduled run compared to its schedule's baseline. */
export const regressionJsonSchema = z.object({
  baselineRunId: z.uuid().nullable().describe('The run compared against; null when the schedule had none yet'),
  regressed: z.boolean().describe('Significantly worse than the baseline, on comparable settings'),
  delta: z.number().describe('Candidate minus baseline'),
  ci: z.tuple([z.number(), z.number()]),
  pValue: z.number(),
  significant: z.boolean(),
  comparable: z.boolean(),
  regressedItems: count,
  note: z.string().describe('Why no comparison was made, when none was'),
  checkedAt: isoTime,
});

/** A run in REST responses. */
export const runJsonSchema = z
  .object({
    id: z.uuid(),
    team: z.string(),
    model: z.string(),
    benchmark: z.string(),
    benchmarkVersion: z.string(),
    status: z.enum(runStatusNames),
    config: z
      .object({
        limit: count,
        samples: count,
        concurrency: count,
        chat: z.boolean(),
        temperature: z.number().optional(),
        maxTokens: count.optional(),
        topP: z.number().optional(),
        seed: z.number().optional(),
        feedbackModel: z.string().optional(),
      })
      .nullable(),
    spec: z.record(z.string(), z.unknown()).nullable().describe('The resolved benchmark, dataset and prompt hashes: what re-creates the run'),
    summary: z
      .object({
        metrics: z.array(metricJson),
        groups: z
          .array(z.object({ name: z.string(), metrics: z.array(metricJson) }))
          .optional()
          .describe("The metrics per group of items, where the benchmark breaks its results down (Spider's hardness, MMLU's subject, BBH's task), groups in dataset order"),
        counts: z.object({ total: count, pending: count, scored: count, errored: count, cancelled: count }),
        promptTokens: count,
        completionTokens: count,
        elapsedSeconds: z.number(),
        completionTokensPerSecond: z.number(),
      })
      .nullable(),
    error: z.string().optional().describe('Why the run failed, when it did'),
    createdAt: isoTime,
    startedAt: isoTime,
    finishedAt: isoTime,
    scheduleId: z.uuid().nullable().describe('The schedule that created the run, if any'),
    regression: regressionJsonSchema.nullable().describe('Scheduled runs, once finished: the comparison to the baseline'),
    sourceRunId: z.uuid().nullable().describe('Re-scoring runs: the run whose stored outputs this run scored again, without calling the model'),
    suiteRunId: z.uuid().nullable().describe('Runs a suite started (e.g. lemur-paper): the suite run, GET /v1/suites/{id}'),
  });
export type RunJson = z.infer<typeof runJsonSchema>;

/** A sample in REST responses: an unscored sample has score and passed null, never 0. */
export const sampleJsonSchema = z
  .object({
    id: z.string(),
    itemId: z.string(),
    itemIndex: count,
    sampleIndex: count,
    status: z.enum(sampleStatusNames),
    score: z.number().nullable(),
    passed: z.boolean().nullable(),
    prompt: z.string(),
    completion: z.string(),
    error: z.string().nullable(),
    promptTokens: count,
    completionTokens: count,
    latencyMs: count,
    detail: z.record(z.string(), z.unknown()).nullable().describe("The scorer's reasons (extracted answer, test output ...)"),
  });
export type SampleJson = z.infer<typeof sampleJsonSchema>;

/** A model the inference service can route to. */
export const modelJsonSchema = z
  .object({ name: z.string(), kind: z.string(), chat: z.boolean(), endpoints: count, readyEndpoints: count });
export type ModelJson = z.infer<typeof modelJsonSchema>;

/** A registered benchmark. */
export const benchmarkJsonSchema = z
  .object({ name: z.string(), version: z.string(), ref: z.string(), metric: z.string(), items: count, dataset: z.string() });
export type BenchmarkJson = z.infer<typeof benchmarkJsonSchema>;

/** Two runs compared on their shared items (GET /v1/compare). */
export const comparisonJsonSchema = z.object({
  a: z.uuid().describe('The baseline run'),
  b: z.uuid().describe('The candidate run; deltas are b - a'),
  benchmark: z.string(),
  metric: z.string().describe('The per-item score compared'),
  sharedItems: count,
  onlyInA: count,
  onlyInB: count,
  meanA: z.number(),
  meanB: z.number(),
  delta: z.number(),
  ci: z.tuple([z.number(), z.number()]).describe('Paired-bootstrap confidence interval of the delta'),
  confidence: z.number(),
  bootstrapPValue: z.number(),
  mcnemar: z.object({ improved: count, regressed: count, pValue: z.number() }).nullable().describe('Exact McNemar test, for 0/1 scores'),
  significant: z.boolean(),
  improved: z.object({ count, items: z.array(z.string()).describe('At most 1000 item ids') }),
  regressed: z.object({ count, items: z.array(z.string()).describe('At most 1000 item ids') }),
  differences: z.array(z.object({ field: z.string(), a: z.string(), b: z.string(), breaksComparability: z.boolean() })),
  comparable: z.boolean().describe('False when the runs used different data or prompts'),
});
export type ComparisonJson = z.infer<typeof comparisonJsonSchema>;

/** A schedule of regression runs. */
export const scheduleJsonSchema = z.object({
  id: z.uuid(),
  name: z.string(),
  cron: z.string().describe('minute hour day-of-month month day-of-week'),
  timezone: z.string(),
  model: z.string(),
  benchmarks: z.array(z.string()),
  config: z.object({
    limit: count,
    samples: count,
    concurrency: count,
    chat: z.boolean(),
    temperature: z.number().optional(),
    maxTokens: count.optional(),
    topP: z.number().optional(),
    seed: z.number().optional(),
  }),
  baseline: z.string().describe('A run id, or "previous"'),
  enabled: z.boolean(),
  webhookUrl: z.string().nullable(),
  nextRunAt: isoTime,
  lastRunAt: isoTime,
  lastSuccessAt: isoTime,
  lastSkipReason: z.string().nullable().describe('Why the runs of the due tick are held back (a team quota) until nextRunAt; null once a tick starts them'),
  createdAt: isoTime,
});
export type ScheduleJson = z.infer<typeof scheduleJsonSchema>;

const nextCursor = z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page');

/** Bodies of the REST responses, by name (with the parts they share): what the OpenAPI document describes and the tests check answers against. */
export const responseSchemas = {
  Run: runJsonSchema,
  Sample: sampleJsonSchema,
  Model: modelJsonSchema,
  Benchmark: benchmarkJsonSchema,
  RunEnvelope: z.object({ run: runJsonSchema }),
  RetriedRunEnvelope: z.object({ run: runJsonSchema, retried: count.describe('Errored samples put back to pending') }),
  RunPage: z.object({ runs: z.array(runJsonSchema), nextCursor }),
  SamplePage: z.object({ samples: z.array(sampleJsonSchema), nextCursor }),
  SampleEnvelope: z.object({ sample: sampleJsonSchema }),
  BenchmarkList: z.object({ benchmarks: z.array(benchmarkJsonSchema) }),
  ModelList: z.object({ models: z.array(modelJsonSchema) }),
  ComparisonEnvelope: z.object({ comparison: comparisonJsonSchema }),
  Regression: regressionJsonSchema,
  Schedule: scheduleJsonSchema,
  ScheduleEnvelope: z.object({ schedule: scheduleJsonSchema }),
  CreatedScheduleEnvelope: z.object({
    schedule: scheduleJsonSchema,
    webhookSecret: z
      .string()
      .nullable()
      .describe('Signs the webhook deliveries (X-Lemur-Signature); shown only in this response, null without a webhook: store it now'),
  }),
  ScheduleList: z.object({ schedules: z.array(scheduleJsonSchema) }),
  Health: z.object({ status: z.enum(['ok', 'unavailable']), eval: z.boolean(), inference: z.boolean() }),
  Error: z.object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code, e.g. INVALID_ARGUMENT, RUN_NOT_FOUND'),
      message: z.string().describe('What went wrong and what to do next'),
      field: z.string().optional().describe('The offending input, for 400s'),
      errorId: z.string().optional().describe('For 5xx: quote it to the operators; the log holds the cause'),
    }),
  }),
};
