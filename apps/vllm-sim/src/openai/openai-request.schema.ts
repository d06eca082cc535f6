import { z } from 'zod';

const stop = z.union([z.string(), z.array(z.string()).max(64)]).nullish();

/** vLLM's check of a penalty (SamplingParams), with its message. */
function penalty(name: string) {
  return z
    .number()
    .refine((v) => v >= -2 && v <= 2, { error: (issue) => `${name} must be in [-2, 2], got ${String(issue.input)}.` })
    .nullish();
}

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
  // Validated as vLLM validates them, so a request vLLM would refuse is refused here too, and otherwise ignored: the
  // simulator's answers come from its answer policies, not from a token distribution these could shift.
  presence_penalty: penalty('presence_penalty'),
  frequency_penalty: penalty('frequency_penalty'),
  // vLLM clamps each bias to [-100, 100] and refuses a key that is not a token id.
  logit_bias: z
    .record(z.string(), z.number())
    .superRefine((bias, ctx) => {
      for (const token of Object.keys(bias)) {
        if (!/^\d+$/.test(token)) ctx.addIssue({ code: 'custom', path: [token], message: `logit_bias keys must be token ids, got "${token}".` });
      }
    })
    .nullish(),
  user: z.string().nullish(),
};

/** Body of `POST /v1/completions`; other fields the simulator does not model pass unchecked. */
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
