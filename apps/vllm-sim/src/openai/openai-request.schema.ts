import { z } from 'zod';

const stop = z.union([z.string(), z.array(z.string()).max(64)]).nullish();

const sampling = {
  model: z.string().min(1),
  n: z.number().int().min(1).max(128).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  stop,
  temperature: z.number().min(0).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
};

/** Body of `POST /v1/completions`; fields the simulator does not model (penalties ...) pass unchecked. */
export const completionRequestSchema = z.object({
  ...sampling,
  // 0 only with echo (the prompt's log-probabilities and nothing generated), as vLLM allows.
  max_tokens: z.number().int().min(0).nullish(),
  logprobs: z.number().int().nullish(),
  echo: z.boolean().nullish(),
  prompt: z.union([z.string(), z.array(z.string()).min(1)], {
    error: 'prompt must be a string or a non-empty array of strings (token-id prompts are not simulated)',
  }),
});

const contentPart = z.object({ type: z.string(), text: z.string().optional() });

/** Body of `POST /v1/chat/completions` (`logprobs` / `top_logprobs` are accepted and answered with `logprobs: null`). */
export const chatRequestSchema = z.object({
  ...sampling,
  max_completion_tokens: z.number().int().min(1).nullish(),
  messages: z
    .array(
      z.object({
        role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
        content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
      }),
    )
    .min(1),
});

/** Parsed completions body. */
export type CompletionRequestBody = z.infer<typeof completionRequestSchema>;
/** Parsed chat completions body. */
export type ChatRequestBody = z.infer<typeof chatRequestSchema>;
