import { randomUUID } from 'node:crypto';
import { type CompletionLogprobs } from '../generation/token-logprobs';
import { type FinishReason } from '../generation/truncation';
import { type GenerationKind } from './generation-request';

/** Token accounting of one response. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** One finished choice, ready to be shaped for either endpoint. */
export interface FinishedChoice {
  index: number;
  text: string;
  finishReason: FinishReason;
  stopReason: string | null;
  /** Completions asked for log-probabilities. */
  logprobs?: CompletionLogprobs;
}

/** Identity shared by every chunk of one response. */
export interface ResponseHeader {
  id: string;
  created: number;
  model: string;
  kind: GenerationKind;
}

/** A new response identity with vLLM's id prefixes. */
export function newResponseHeader(kind: GenerationKind, model: string, now = Date.now()): ResponseHeader {
  const hex = randomUUID().replace(/-/g, '');
  return { id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${hex}`, created: Math.floor(now / 1000), model, kind };
}

/** Usage block from token counts. */
export function usage(promptTokens: number, completionTokens: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/** The non-streaming response body. */
export function completionResponse(header: ResponseHeader, choices: FinishedChoice[], totals: Usage): Record<string, unknown> {
  const base = { id: header.id, created: header.created, model: header.model };
  if (header.kind === 'chat') {
    return {
      ...base,
      object: 'chat.completion',
      choices: choices.map((choice) => ({
        index: choice.index,
        message: { role: 'assistant', content: choice.text, tool_calls: [] },
        logprobs: null,
        finish_reason: choice.finishReason,
        stop_reason: choice.stopReason,
      })),
      usage: totals,
      prompt_logprobs: null,
    };
  }
  return {
    ...base,
    object: 'text_completion',
    choices: choices.map((choice) => ({
      index: choice.index,
      text: choice.text,
      logprobs: choice.logprobs ?? null,
      finish_reason: choice.finishReason,
      stop_reason: choice.stopReason,
      prompt_logprobs: null,
    })),
    usage: totals,
  };
}

function chunk(header: ResponseHeader, choices: unknown[]): Record<string, unknown> {
  return {
    id: header.id,
    object: header.kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: header.created,
    model: header.model,
    choices,
  };
}

/** The first chunk of a chat choice, announcing the assistant role (completions have none). */
export function roleChunk(header: ResponseHeader, index: number): Record<string, unknown> {
  return chunk(header, [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
}

/** A chunk carrying one piece of generated text for one choice (and its log-probabilities, completions only). */
export function textChunk(header: ResponseHeader, index: number, text: string, logprobs?: CompletionLogprobs): Record<string, unknown> {
  return header.kind === 'chat'
    ? chunk(header, [{ index, delta: { content: text }, logprobs: null, finish_reason: null }])
    : chunk(header, [{ index, text, logprobs: logprobs ?? null, finish_reason: null, stop_reason: null }]);
}

/** The last chunk of one choice, carrying its finish reason. */
export function finishChunk(header: ResponseHeader, choice: FinishedChoice): Record<string, unknown> {
  const reasons = { finish_reason: choice.finishReason, stop_reason: choice.stopReason };
  return header.kind === 'chat'
    ? chunk(header, [{ index: choice.index, delta: {}, logprobs: null, ...reasons }])
    : chunk(header, [{ index: choice.index, text: '', logprobs: null, ...reasons }]);
}

/** The usage chunk sent before `[DONE]` when `stream_options.include_usage` is set. */
export function usageChunk(header: ResponseHeader, totals: Usage): Record<string, unknown> {
  return { ...chunk(header, []), usage: totals };
}

/** Kinds of error body, named as vLLM names them. */
export type OpenAiErrorType = 'BadRequestError' | 'NotFoundError' | 'InternalServerError' | 'ServiceUnavailableError';

/** An OpenAI-style error body as vLLM sends it. */
export function errorBody(
  message: string,
  type: OpenAiErrorType,
  code: number,
  param: string | null = null,
): { error: { message: string; type: OpenAiErrorType; param: string | null; code: number } } {
  return { error: { message, type, param, code } };
}
