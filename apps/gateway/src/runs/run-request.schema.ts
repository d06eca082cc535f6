import { PlatformError } from '@lemur/shared-errors';
import { z } from 'zod';

/** Body of POST /v1/runs. */
export const createRunBody = z.strictObject({
  model: z.string().min(1).max(300).describe('A registered model name, or sim:oracle / sim:wrong / sim:echo'),
  benchmark: z.string().min(1).max(100).describe('Benchmark name or name@version, e.g. humaneval, gsm8k'),
  limit: z.int().min(0).optional().describe('Evaluate the first N items; 0 or absent = all'),
  samples: z.int().min(1).max(200).optional().describe('Completions per item (n of pass@k)'),
  concurrency: z.int().min(1).max(1024).optional().describe('Samples of this run in flight at once'),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.int().min(1).max(32768).optional(),
  topP: z.number().gt(0).max(1).optional(),
  seed: z.int().optional().describe('Sampling seed, for reproducible completions where the model supports it'),
  chat: z.boolean().optional().describe('Use the chat API instead of the completion API'),
  feedbackModel: z.string().min(1).max(300).optional().describe('Agent benchmarks (mint-*): a registered model that writes expert feedback each turn'),
});
export type CreateRunBody = z.infer<typeof createRunBody>;

const pageLimit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/** Query of GET /v1/runs. */
export const listRunsQuery = z.strictObject({
  limit: pageLimit(500, 50),
  cursor: z.string().max(500).optional(),
  model: z.string().min(1).max(300).optional().describe('Only runs of this model'),
  benchmark: z.string().min(1).max(100).optional().describe('Only runs of this benchmark (name, any version)'),
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']).optional().describe('Only runs in this status'),
  schedule: z.uuid({ message: 'must be a schedule id (UUID)' }).optional().describe('Only runs created by this schedule'),
  suite: z.uuid({ message: 'must be a suite run id (UUID)' }).optional().describe('Only runs started by this suite run'),
});

/** Query of GET /v1/runs/:id/samples. */
export const listSamplesQuery = z.strictObject({
  status: z.enum(['pending', 'scored', 'errored', 'cancelled']).optional(),
  passed: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional()
    .describe('Only scored samples with this verdict: false lists the failed ones'),
  limit: pageLimit(500, 100),
  cursor: z.string().max(500).optional(),
});

/** Path parameters of /v1/runs/:id and below. */
export const runPathParams = z.strictObject({
  id: z.uuid({ message: 'must be a run id (UUID)' }),
});

/** Path parameters of /v1/runs/:id/samples/:sampleId. */
export const samplePathParams = z.strictObject({
  id: runPathParams.shape.id,
  sampleId: z.uuid({ message: 'must be a sample id (UUID)' }),
});

/** Query of GET /v1/compare. */
export const compareQuery = z.strictObject({
  a: z.uuid({ message: 'must be a run id (UUID)' }).describe('The baseline run'),
  b: z.uuid({ message: 'must be a run id (UUID)' }).describe('The candidate run'),
});

/** Query of GET /v1/runs/:id/export. */
export const exportQuery = z.strictObject({
  format: z.enum(['jsonl', 'csv']).default('jsonl').describe('jsonl: one sample per line as the samples API shows it; csv: RFC 4180, one row per sample'),
});

/** True when a URL carries no user or password: a webhook authenticates by its signature, and a URL shows in listings. */
function withoutCredentials(raw: string): boolean {
  try {
    const url = new URL(raw);
    return !url.username && !url.password;
  } catch {
    return true; // not a URL at all: the url check names that
  }
}

/** Body of POST /v1/schedules. */
export const createScheduleBody = z.strictObject({
  name: z.string().min(1).max(63).describe('Unique in the team, e.g. nightly-gsm8k'),
  cron: z.string().min(9).max(100).describe('Five fields: minute hour day-of-month month day-of-week, e.g. "0 3 * * *"'),
  timezone: z.string().min(1).max(64).optional().describe('IANA time zone of the cron expression (default UTC)'),
  model: createRunBody.shape.model,
  benchmarks: z.array(z.string().min(1).max(100)).min(1).max(20),
  baseline: z.string().max(64).optional().describe('A run id, or "previous" (default): the previous successful run of the schedule'),
  enabled: z.boolean().optional(),
  webhookUrl: z
    .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL, e.g. https://hooks.example.com/lemur' })
    .max(2000)
    .refine(withoutCredentials, { error: 'must not carry credentials (user:password@): deliveries are signed with the secret this call returns' })
    .optional()
    .describe('POSTed a signed JSON event when a run regresses; the response shows its signing secret once'),
  limit: createRunBody.shape.limit,
  samples: createRunBody.shape.samples,
  concurrency: createRunBody.shape.concurrency,
  temperature: createRunBody.shape.temperature,
  maxTokens: createRunBody.shape.maxTokens,
  topP: createRunBody.shape.topP,
  seed: createRunBody.shape.seed,
  chat: createRunBody.shape.chat,
});

/** Path parameters of /v1/schedules/:id. */
export const schedulePathParams = z.strictObject({
  id: z.uuid({ message: 'must be a schedule id (UUID)' }),
});

/** Validates `input` against `schema`; the first problem becomes a 400 naming its field. */
export function validate<T extends z.ZodType>(schema: T, input: unknown, where: 'body' | 'query' | 'path'): z.infer<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.') || where;
  const message = issue.code === 'unrecognized_keys' ? `unknown field(s) in the ${where}` : issue.message;
  throw PlatformError.invalid(field, message);
}
