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
      })
      .nullable(),
    spec: z.record(z.string(), z.unknown()).nullable().describe('The resolved benchmark, dataset and prompt hashes: what re-creates the run'),
    summary: z
      .object({
        metrics: z.array(metricJson),
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

const nextCursor = z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page');

/** Bodies of the REST responses, by name (with the parts they share): what the OpenAPI document describes and the tests check answers against. */
export const responseSchemas = {
  Run: runJsonSchema,
  Sample: sampleJsonSchema,
  Model: modelJsonSchema,
  Benchmark: benchmarkJsonSchema,
  RunEnvelope: z.object({ run: runJsonSchema }),
  RunPage: z.object({ runs: z.array(runJsonSchema), nextCursor }),
  SamplePage: z.object({ samples: z.array(sampleJsonSchema), nextCursor }),
  BenchmarkList: z.object({ benchmarks: z.array(benchmarkJsonSchema) }),
  ModelList: z.object({ models: z.array(modelJsonSchema) }),
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
