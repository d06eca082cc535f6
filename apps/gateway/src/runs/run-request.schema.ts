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
});
export type CreateRunBody = z.infer<typeof createRunBody>;

const pageLimit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

/** Query of GET /v1/runs. */
export const listRunsQuery = z.strictObject({
  limit: pageLimit(500, 50),
  cursor: z.string().max(500).optional(),
});

/** Query of GET /v1/runs/:id/samples. */
export const listSamplesQuery = z.strictObject({
  status: z.enum(['pending', 'scored', 'errored', 'cancelled']).optional(),
  limit: pageLimit(500, 100),
  cursor: z.string().max(500).optional(),
});

/** Path parameters of /v1/runs/:id and below. */
export const runPathParams = z.strictObject({
  id: z.uuid({ message: 'must be a run id (UUID)' }),
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
