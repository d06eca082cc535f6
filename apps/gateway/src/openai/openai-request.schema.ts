import { PlatformError } from '@lemur/shared-errors';
import { z } from 'zod';

// Fields OpenAI clients commonly send that do not change what the platform does; accepted and ignored so that
// existing clients work unchanged, while a misspelled field is still rejected.
const ignored = {
  metadata: z.record(z.string(), z.string()).optional(),
  store: z.boolean().optional(),
};

/** OpenAI's cap on `logit_bias` entries. */
export const MAX_LOGIT_BIAS_ENTRIES = 300;

const penalty = z.number().min(-2, 'must be between -2 and 2').max(2, 'must be between -2 and 2').nullish();

// Keys are token ids of the served model's vocabulary, as OpenAI takes them (decimal strings in JSON).
const logitBias = z
  .record(
    z.string().regex(/^\d{1,9}$/, 'keys must be token ids (non-negative integers)'),
    z.number().min(-100, 'biases must be between -100 and 100').max(100, 'biases must be between -100 and 100'),
  )
  .refine((bias) => Object.keys(bias).length <= MAX_LOGIT_BIAS_ENTRIES, `at most ${MAX_LOGIT_BIAS_ENTRIES} entries`)
  .nullish();

const sampling = {
  model: z.string().min(1).max(300),
  max_tokens: z.int().min(1).max(32_768).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  n: z.int().min(1).max(64).nullish(),
  stop: z.union([z.string().max(500), z.array(z.string().max(500)).max(8)]).nullish(),
  seed: z.int().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional() }).nullish(),
  presence_penalty: penalty,
  frequency_penalty: penalty,
  logit_bias: logitBias,
  // The end user, as OpenAI takes it: here also the session key, so `session-affinity` routing keeps a user on one replica.
  user: z.string().max(256).optional(),
  ...ignored,
};

const textPart = z.strictObject({ type: z.literal('text'), text: z.string() });

/** Body of POST /v1/chat/completions (text content; content given as text parts is joined). */
export const chatCompletionBody = z.strictObject({
  ...sampling,
  messages: z
    .array(
      z.object({
        role: z.enum(['system', 'developer', 'user', 'assistant']),
        content: z.union([z.string(), z.array(textPart).min(1)]),
        name: z.string().max(64).optional(),
      }),
    )
    .min(1, 'give at least one message'),
  max_completion_tokens: z.int().min(1).max(32_768).nullish(),
});
export type ChatCompletionBody = z.infer<typeof chatCompletionBody>;

/** Body of POST /v1/completions (one prompt string; OpenAI's token-array and batch prompts are not supported). */
export const completionBody = z.strictObject({
  ...sampling,
  prompt: z.string({ message: 'must be a string (token arrays and prompt batches are not supported)' }).min(1),
  echo: z.literal(false).optional(),
  // Alternatives per generated token (0 = the chosen token's only); the model server enforces its own cap (vLLM's
  // --max-logprobs, 20 by default). Not on streams.
  logprobs: z.int().min(0).max(1_000).nullish(),
});
export type CompletionBody = z.infer<typeof completionBody>;

/** Validates an OpenAI request body; the first problem becomes a 400 naming its field (OpenAI's `param`). */
export function validateOpenAi<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') throw PlatformError.invalid(issue.keys.join(', '), 'unrecognized request argument(s)');
  // A bad record key (a logit_bias token id) is reported by zod as "Invalid key in record": its own check says why.
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  throw PlatformError.invalid(issue.path.join('.') || 'body', message);
}
