import { type z } from 'zod';
import { countTokens } from '../tokens/tokenizer';
import {
  chatRequestSchema,
  completionRequestSchema,
  type ChatRequestBody,
  type CompletionRequestBody,
} from './openai-request.schema';

/** Which endpoint a request came in on. */
export type GenerationKind = 'completion' | 'chat';

/** One prompt of a request, with the text answer policies see. */
export interface PromptInput {
  text: string;
  tokens: number;
  lastUserMessage?: string;
}

/** A validated request, independent of the endpoint's JSON shape. */
export interface GenerationRequest {
  kind: GenerationKind;
  model: string;
  prompts: PromptInput[];
  n: number;
  maxTokens: number;
  stop: string[];
  temperature: number;
  topP: number;
  seed?: number;
  stream: boolean;
  includeUsage: boolean;
  /** Completions only: log-probabilities of each token and this many alternatives. */
  logprobs?: number;
  /** Completions only: return the prompt before the generated text (with its log-probabilities when asked). */
  echo: boolean;
}

/** A request the client must fix: mapped to HTTP 400 with `param` naming the field. */
export class InvalidRequestError extends Error {
  constructor(
    message: string,
    readonly param: string | null,
  ) {
    super(message);
    this.name = 'InvalidRequestError';
  }
}

/** vLLM's default `max_tokens` for the legacy completions endpoint (chat defaults to the rest of the context). */
export const COMPLETIONS_DEFAULT_MAX_TOKENS = 16;

/** vLLM's default `--max-logprobs`: a request asking for more alternatives is a 400. */
export const DEFAULT_MAX_LOGPROBS = 20;

function checkLogprobs(parsed: CompletionRequestBody, maxLogprobs: number): { logprobs?: number; echo: boolean } {
  const echo = parsed.echo ?? false;
  if (parsed.max_tokens === 0 && !echo) throw new InvalidRequestError('max_tokens must be at least 1, got 0.', 'max_tokens');
  if (echo && parsed.stream) throw new InvalidRequestError('echo is simulated for non-streaming requests only', 'echo');
  const logprobs = parsed.logprobs ?? undefined;
  if (logprobs === undefined) return { echo };
  if (logprobs < 0) throw new InvalidRequestError('`logprobs` must be a positive value.', 'logprobs');
  if (logprobs > maxLogprobs) {
    throw new InvalidRequestError(`Requested sample logprobs of ${logprobs}, which is greater than max allowed: ${maxLogprobs}`, 'logprobs');
  }
  return { logprobs, echo };
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('request body must be a JSON object', null);
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const param = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : null;
  throw new InvalidRequestError(param ? `${param}: ${issue?.message ?? 'invalid'}` : (issue?.message ?? 'invalid request'), param);
}

function messageText(content: ChatRequestBody['messages'][number]['content']): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .filter((part) => part.type === 'text')
    .map((part) => part.text ?? '')
    .join('');
}

function stopList(stop: string | string[] | null | undefined): string[] {
  if (stop === null || stop === undefined) return [];
  return typeof stop === 'string' ? [stop] : stop;
}

function checkContext(
  promptTokens: number,
  maxTokens: number | undefined,
  maxModelLen: number,
  promptParam: string,
  maxTokensParam: string,
): number {
  if (promptTokens >= maxModelLen) {
    throw new InvalidRequestError(
      `This model's maximum context length is ${maxModelLen} tokens. However, your request has ${promptTokens} input tokens. Please reduce the length of the input.`,
      promptParam,
    );
  }
  const resolved = maxTokens ?? maxModelLen - promptTokens;
  if (promptTokens + resolved > maxModelLen) {
    throw new InvalidRequestError(
      `This model's maximum context length is ${maxModelLen} tokens. However, you requested ${promptTokens + resolved} tokens (${promptTokens} in the input, ${resolved} in the completion). Please reduce the length of the input or completion.`,
      maxTokensParam,
    );
  }
  return resolved;
}

function streamFlags(body: CompletionRequestBody | ChatRequestBody): { stream: boolean; includeUsage: boolean } {
  const stream = body.stream ?? false;
  if (!stream && body.stream_options) {
    throw new InvalidRequestError('Stream options can only be defined when `stream=True`.', 'stream_options');
  }
  return { stream, includeUsage: body.stream_options?.include_usage ?? false };
}

/** Validates a `/v1/completions` body against the model's context length and log-probability limit. */
export function parseCompletionRequest(body: unknown, maxModelLen: number, maxLogprobs = DEFAULT_MAX_LOGPROBS): GenerationRequest {
  const parsed = parseBody(completionRequestSchema, body);
  const logprobs = checkLogprobs(parsed, maxLogprobs);
  const texts = typeof parsed.prompt === 'string' ? [parsed.prompt] : parsed.prompt;
  const prompts = texts.map((text) => ({ text, tokens: countTokens(text) }));
  const requested = parsed.max_tokens ?? COMPLETIONS_DEFAULT_MAX_TOKENS;
  let maxTokens = requested;
  for (const prompt of prompts) maxTokens = checkContext(prompt.tokens, requested, maxModelLen, 'prompt', 'max_tokens');
  return {
    kind: 'completion',
    model: parsed.model,
    prompts,
    n: parsed.n ?? 1,
    maxTokens,
    stop: stopList(parsed.stop),
    temperature: parsed.temperature ?? 1,
    topP: parsed.top_p ?? 1,
    ...(parsed.seed !== null && parsed.seed !== undefined ? { seed: parsed.seed } : {}),
    ...streamFlags(parsed),
    ...logprobs,
  };
}

/** Validates a `/v1/chat/completions` body; the prompt text is the message contents joined by blank lines. */
export function parseChatRequest(body: unknown, maxModelLen: number): GenerationRequest {
  const parsed = parseBody(chatRequestSchema, body);
  const contents = parsed.messages.map((message) => messageText(message.content));
  const text = contents.join('\n\n');
  const lastUser = [...parsed.messages].reverse().find((message) => message.role === 'user');
  const prompt: PromptInput = {
    text,
    tokens: countTokens(text),
    ...(lastUser ? { lastUserMessage: messageText(lastUser.content) } : {}),
  };
  const requested = parsed.max_completion_tokens ?? parsed.max_tokens ?? undefined;
  const maxTokensParam = parsed.max_completion_tokens ? 'max_completion_tokens' : 'max_tokens';
  const maxTokens = checkContext(prompt.tokens, requested, maxModelLen, 'messages', maxTokensParam);
  return {
    kind: 'chat',
    model: parsed.model,
    prompts: [prompt],
    n: parsed.n ?? 1,
    maxTokens,
    stop: stopList(parsed.stop),
    temperature: parsed.temperature ?? 1,
    topP: parsed.top_p ?? 1,
    ...(parsed.seed !== null && parsed.seed !== undefined ? { seed: parsed.seed } : {}),
    ...streamFlags(parsed),
    echo: false,
  };
}
