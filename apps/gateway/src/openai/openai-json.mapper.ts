import type { inferenceV1 } from '@lemur/proto';
import { PlatformErrorCode } from '@lemur/shared-errors';
import type { ApiErrorBody } from '../http/api-error';

/** OpenAI's error body: what its clients parse to raise their typed errors. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usageJson(usage: inferenceV1.Usage | undefined): OpenAiUsage {
  const prompt = usage?.promptTokens ?? 0;
  const completion = usage?.completionTokens ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** A non-streamed chat completion. */
export function chatCompletionJson(id: string, created: number, res: inferenceV1.GenerateResponse) {
  return {
    id,
    object: 'chat.completion',
    created,
    model: res.model,
    choices: res.choices.map((c) => ({
      index: c.index,
      message: { role: 'assistant', content: c.text },
      logprobs: null,
      finish_reason: c.finishReason || null,
    })),
    usage: usageJson(res.usage),
  };
}

/** A choice's log-probabilities in the completions API's shape (a value the model server did not give is null). */
export function completionLogprobsJson(lp: inferenceV1.Logprobs | undefined) {
  if (!lp) return null;
  const value = (v: number) => (Number.isNaN(v) ? null : v);
  return {
    tokens: lp.tokens,
    token_logprobs: lp.tokenLogprobs.map(value),
    top_logprobs: lp.topLogprobs.map((top) => Object.fromEntries(top.candidates.map((c) => [c.token, c.logprob]))),
    text_offset: lp.textOffset,
  };
}

/** A non-streamed text completion. */
export function completionJson(id: string, created: number, res: inferenceV1.GenerateResponse) {
  return {
    id,
    object: 'text_completion',
    created,
    model: res.model,
    choices: res.choices.map((c) => ({ index: c.index, text: c.text, logprobs: completionLogprobsJson(c.logprobs), finish_reason: c.finishReason || null })),
    usage: usageJson(res.usage),
  };
}

/** The final usage-only chunk sent when `stream_options.include_usage` is set. */
export function usageChunkJson(kind: 'chat' | 'completion', meta: { id: string; created: number; model: string }, usage: OpenAiUsage) {
  return { ...meta, object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion', choices: [], usage };
}

/** GET /v1/models in OpenAI's shape. */
export function modelListJson(models: inferenceV1.ModelInfo[]) {
  return { object: 'list', data: models.map((m) => ({ id: m.name, object: 'model', created: 0, owned_by: 'lemur' })) };
}

const TYPES: Partial<Record<string, { type: string; code: string | null }>> = {
  [PlatformErrorCode.INVALID_ARGUMENT]: { type: 'invalid_request_error', code: null },
  [PlatformErrorCode.MODEL_NOT_FOUND]: { type: 'invalid_request_error', code: 'model_not_found' },
  [PlatformErrorCode.RESOURCE_EXHAUSTED]: { type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  [PlatformErrorCode.CANCELLED]: { type: 'invalid_request_error', code: 'cancelled' },
};

/** Reshapes the gateway's error body (already sanitized for 5xx) into OpenAI's, keeping the errorId in the message. */
export function openAiErrorJson(status: number, body: ApiErrorBody): OpenAiErrorBody {
  const { code, message, field, errorId } = body.error;
  const known = TYPES[code] ?? (status >= 500 ? { type: 'server_error', code: code.toLowerCase() } : { type: 'invalid_request_error', code: code.toLowerCase() });
  return {
    error: {
      message: errorId ? `${message} (errorId ${errorId})` : message,
      type: known.type,
      param: field ?? (code === PlatformErrorCode.MODEL_NOT_FOUND ? 'model' : null),
      code: known.code,
    },
  };
}
