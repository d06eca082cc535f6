import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { Agent, request, type Dispatcher } from 'undici';

// One keep-alive pool per replica origin for the whole process; undici's request costs a fraction of fetch's CPU,
// which matters on the hot path of every evaluation sample.
const agent = new Agent({ connections: 512, keepAliveTimeout: 30_000, pipelining: 1 });

/** One OpenAI-compatible call to one replica. */
export interface UpstreamRequest {
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  prompt?: string;
  messages?: { role: string; content: string }[];
  maxTokens: number;
  temperature: number;
  topP: number;
  stop: string[];
  seed?: number;
  n: number;
  signal: AbortSignal;
  /** Abort a stream that sends nothing for this long (a stalled replica). */
  idleTimeoutMs: number;
}

/** A piece of a streamed completion. */
export interface UpstreamChunk {
  index: number;
  delta: string;
  finishReason?: string;
  usage?: { promptTokens: number; completionTokens: number };
}

/** A failure talking to a replica; `retryable` when nothing was produced yet and another replica may succeed. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

function body(req: UpstreamRequest, stream: boolean): string {
  const common = {
    model: req.model,
    max_tokens: req.maxTokens,
    temperature: req.temperature,
    top_p: req.topP,
    n: req.n,
    ...(req.stop.length ? { stop: req.stop } : {}),
    ...(req.seed !== undefined ? { seed: req.seed } : {}),
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  };
  return JSON.stringify(req.messages ? { ...common, messages: req.messages } : { ...common, prompt: req.prompt ?? '' });
}

async function post(req: UpstreamRequest, stream: boolean): Promise<Dispatcher.ResponseData> {
  const path = req.messages ? '/v1/chat/completions' : '/v1/completions';
  let response: Dispatcher.ResponseData;
  try {
    response = await request(`${req.baseUrl}${path}`, {
      method: 'POST',
      dispatcher: agent,
      headers: {
        'content-type': 'application/json',
        ...(req.apiKey ? { authorization: `Bearer ${req.apiKey}` } : {}),
      },
      body: body(req, stream),
      signal: req.signal,
    });
  } catch (err) {
    if (req.signal.aborted) throw new PlatformError(PlatformErrorCode.CANCELLED, 'request cancelled by the caller', { cause: err });
    throw new UpstreamError(`cannot reach ${req.baseUrl}: ${(err as Error).message}`, true, undefined, { cause: err });
  }
  if (response.statusCode >= 200 && response.statusCode < 300) return response;
  const text = await response.body.text().catch(() => '');
  const message = (() => {
    try {
      return (JSON.parse(text) as { error?: { message?: string }; message?: string }).error?.message ?? text;
    } catch {
      return text;
    }
  })().slice(0, 500);
  if (response.statusCode >= 500 || response.statusCode === 429) {
    throw new UpstreamError(`replica ${req.baseUrl} answered ${response.statusCode}: ${message}`, true, response.statusCode);
  }
  throw new PlatformError(
    PlatformErrorCode.INVALID_ARGUMENT,
    `model server rejected the request (${response.statusCode}): ${message}`,
  );
}

interface WireChoice {
  index?: number;
  text?: string;
  delta?: { content?: string | null };
  message?: { content?: string | null };
  finish_reason?: string | null;
}
interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

function choiceText(choice: WireChoice): string {
  return choice.text ?? choice.delta?.content ?? choice.message?.content ?? '';
}

/** Calls a replica without streaming and returns every choice with the token usage. */
export async function completeUpstream(
  req: UpstreamRequest,
): Promise<{ choices: { index: number; text: string; finishReason: string }[]; usage: { promptTokens: number; completionTokens: number } }> {
  const response = await post(req, false);
  let json: { choices?: WireChoice[]; usage?: WireUsage };
  try {
    json = (await response.body.json()) as typeof json;
  } catch (err) {
    if (req.signal.aborted) throw new PlatformError(PlatformErrorCode.CANCELLED, 'request cancelled by the caller', { cause: err });
    throw new UpstreamError(`replica ${req.baseUrl} sent an unreadable body`, true, undefined, { cause: err });
  }
  return {
    choices: (json.choices ?? []).map((c, i) => ({ index: c.index ?? i, text: choiceText(c), finishReason: c.finish_reason ?? '' })),
    usage: { promptTokens: json.usage?.prompt_tokens ?? 0, completionTokens: json.usage?.completion_tokens ?? 0 },
  };
}

/**
 * Streams a completion from a replica (server-sent events). Errors before the first chunk are retryable; a stream that
 * breaks or stalls later ends with a non-retryable error, never a silent truncation.
 */
export async function* streamUpstream(req: UpstreamRequest): AsyncGenerator<UpstreamChunk> {
  const idle = new AbortController();
  const signal = AbortSignal.any([req.signal, idle.signal]);
  const response = await post({ ...req, signal }, true);
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(), req.idleTimeoutMs);
  };
  let produced = 0;
  let finished = false;
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    arm();
    for await (const bytes of response.body as AsyncIterable<Buffer>) {
      arm();
      buffer += decoder.decode(bytes, { stream: true });
      let boundary: number;
      while ((boundary = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        for (const line of event.split('\n')) {
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') {
            finished = true;
            continue;
          }
          const json = JSON.parse(data) as { choices?: WireChoice[]; usage?: WireUsage | null };
          for (const choice of json.choices ?? []) {
            produced += 1;
            yield {
              index: choice.index ?? 0,
              delta: choiceText(choice),
              ...(choice.finish_reason ? { finishReason: choice.finish_reason } : {}),
            };
          }
          if (json.usage) {
            yield {
              index: 0,
              delta: '',
              usage: { promptTokens: json.usage.prompt_tokens ?? 0, completionTokens: json.usage.completion_tokens ?? 0 },
            };
          }
        }
      }
    }
  } catch (err) {
    if (req.signal.aborted) throw new PlatformError(PlatformErrorCode.CANCELLED, 'request cancelled by the caller', { cause: err });
    const why = idle.signal.aborted ? `sent nothing for ${req.idleTimeoutMs} ms` : (err as Error).message;
    throw new UpstreamError(`stream from ${req.baseUrl} broke after ${produced} chunks: ${why}`, produced === 0, undefined, {
      cause: err,
    });
  } finally {
    clearTimeout(timer);
  }
  if (!finished) {
    throw new UpstreamError(`stream from ${req.baseUrl} ended after ${produced} chunks without [DONE]`, produced === 0);
  }
}
