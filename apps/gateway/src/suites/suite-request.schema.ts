import { z } from 'zod';
import { createRunBody } from '../runs/run-request.schema';

/** Body of POST /v1/suites: one run per member of the suite, every run with these settings. */
export const createSuiteBody = z.strictObject({
  suite: z.string().min(1).max(100).describe('A suite name, e.g. lemur-paper'),
  model: createRunBody.shape.model,
  limit: createRunBody.shape.limit.describe("Cap each benchmark at its first N items; 0 or absent = all"),
  samples: createRunBody.shape.samples,
  concurrency: createRunBody.shape.concurrency,
  temperature: createRunBody.shape.temperature,
  maxTokens: createRunBody.shape.maxTokens,
  topP: createRunBody.shape.topP,
  seed: createRunBody.shape.seed,
  chat: createRunBody.shape.chat,
  feedbackModel: createRunBody.shape.feedbackModel.describe("Also run the suite's MINT tasks with this model writing natural-language feedback"),
});
export type CreateSuiteBody = z.infer<typeof createSuiteBody>;

/** Path parameters of /v1/suites/:id. */
export const suitePathParams = z.strictObject({
  id: z.uuid({ message: 'must be a suite run id (UUID)' }),
});
