import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { SpanKind, failSpan, traceHeaders, tracer, tracingActive, type Span } from '@lemur/shared-tracing';
import { INVALID_SPAN_CONTEXT, context, trace } from '@opentelemetry/api';
import { Agent, request, type Dispatcher } from 'undici';
import { redactEndpoint } from '../registry/endpoint-url';
import { retryAfterHeaderSeconds, type ResponseHeaders } from './retry-after-header';

// One keep-alive pool per replica origin for the whole process; undici's request costs a fraction of fetch's CPU,
// which matters on the hot path of every evaluation sample. Every call passes its own headersTimeout and bodyTimeout
// from the config (`firstByteTimeoutMs`, `timeoutMs`): undici's 300 s defaults would otherwise end calls the config
// allows, and as a failure of the wrong kind.
const agent = new Agent({ connections: 512, keepAliveTimeout: 30_000, pipelining: 1 });

/** What a generation asks for, as the OpenAI API takes it: one prompt or chat messages, and the sampling. */
export interface GenerationParams {
  model: string;
  prompt?: string;
  messages?: { role: string; content: string }[];
  maxTokens: number;
  temperature: number;
  topP: number;
  stop: string[];
  seed?: number;
  n: number;
  /** Log-probabilities of the generated tokens and this many alternatives each (completions API only). */
  logprobs?: number;
  /** OpenAI's penalties (-2..2); unset means none, as 0 does. */
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** Token id (decimal string) -> bias added to its logit (-100..100). */
  logitBias?: Record<string, number>;
}

/** Per generated token, as the completions API's `logprobs` gives them (one entry per token in every list). */
export interface ChoiceLogprobs {
  tokens: string[];
  /** null where the replica gave none (vLLM does so for the first token of an echoed prompt). */
  tokenLogprobs: (number | null)[];
  topLogprobs: { token: string; logprob: number }[][];
  textOffset: number[];
}

/** One finished choice of a completion. */
export interface UpstreamChoice {
  index: number;
  text: string;
  finishReason: string;
  /** Present when log-probabilities were asked for and the replica returned them. */
  logprobs?: ChoiceLogprobs;
}

/** One OpenAI-compatible call to one replica. */
export interface UpstreamRequest extends GenerationParams {
  baseUrl: string;
  apiKey: string | undefined;
  /** The caller's cancellation. */
  signal: AbortSignal;
  /**
   * The whole call's time limit (INFERENCE_UPSTREAM_TIMEOUT_MS); running out fails the call with DEADLINE_EXCEEDED, a
   * failure of the replica that is not retried: the call has used all the time it had.
   */
  timeoutMs: number;
  /**
   * Longest wait for the first byte of the replica's answer (INFERENCE_FIRST_BYTE_TIMEOUT_MS): the first event of a
   * stream (the engine's queue and prefill), or the whole answer of a call without streaming, which vLLM sends in one
   * piece. Running out is a retryable failure of that replica: a replica that accepts connections and never answers.
   */
  firstByteTimeoutMs: number;
  /** Abort a stream that, once its answer began, sends nothing for this long (a stalled replica). */
  idleTimeoutMs: number;
  /**
   * Told the replica's own time on a non-streamed call, whether it succeeded or not: from sending the request to the
   * last byte of the answer, without building the body or parsing the answer (those are the platform's work).
   */
  onReplicaTime?: (ms: number) => void;
}

/** A piece of a streamed completion. */
export interface UpstreamChunk {
  index: number;
  delta: string;
  finishReason?: string;
  usage?: { promptTokens: number; completionTokens: number };
}

/** What a request that an upstream failure ends is reported as. */
export type UpstreamErrorCode = PlatformErrorCode.UPSTREAM_FAILED | PlatformErrorCode.DEADLINE_EXCEEDED;

/**
 * A failure of a replica (it counts towards ejecting it); `retryable` when nothing was produced yet and another
 * replica may succeed; `platformCode` is what the caller is told, DEADLINE_EXCEEDED when our own time limit ended the
 * call. (Not `code`: spans take an error's `code` as its type, and upstream failures are typed UpstreamError there.)
 */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  readonly platformCode: UpstreamErrorCode;
  /** The seconds a replica that refused for load (429/503) asked to wait in its Retry-After header, if it did. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    options?: { cause?: unknown; platformCode?: UpstreamErrorCode; retryAfterSeconds?: number },
  ) {
    // Only a given cause becomes one: callers leave it out on purpose when it would carry the API key.
    super(message, options && 'cause' in options ? { cause: options.cause } : undefined);
    this.platformCode = options?.platformCode ?? PlatformErrorCode.UPSTREAM_FAILED;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
}

/** Which of our own limits ended a call (the caller's cancellation is not one of them). */
type Limit = 'first-byte' | 'deadline' | 'idle';

/** undici's own header and body timers (set from the same limits, see `agent`) count as those limits. */
function undiciLimit(err: unknown): Limit | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' ? 'first-byte' : code === 'UND_ERR_BODY_TIMEOUT' ? 'deadline' : undefined;
}

/**
 * Everything that ends one upstream call, as one AbortController: the caller's signal, the call's time limit, the wait
 * for the answer's first byte and, for streams, the idle timer once bytes flow. Plain timers that are cleared when the
 * call ends, not AbortSignal.timeout/any: those stay alive (a timer and a signal per request) for the whole time
 * limit, and this runs for every request.
 */
class CallAbort {
  private readonly controller = new AbortController();
  private readonly deadline: NodeJS.Timeout;
  private firstByte: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  /** Which of our limits aborted the call, if one did. */
  expired: Limit | undefined;
  private readonly onCallerAbort = () => this.controller.abort();

  constructor(
    private readonly caller: AbortSignal,
    private readonly req: Pick<UpstreamRequest, 'baseUrl' | 'timeoutMs' | 'firstByteTimeoutMs'>,
  ) {
    if (caller.aborted) this.controller.abort();
    else caller.addEventListener('abort', this.onCallerAbort, { once: true });
    this.deadline = setTimeout(() => this.expire('deadline'), req.timeoutMs).unref();
    this.firstByte = setTimeout(() => this.expire('first-byte'), req.firstByteTimeoutMs).unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private expire(limit: Limit): void {
    if (this.controller.signal.aborted) return;
    this.expired = limit;
    this.controller.abort();
  }

  /** The answer began: the first-byte limit no longer applies. */
  answered(): void {
    if (this.firstByte === undefined) return;
    clearTimeout(this.firstByte);
    this.firstByte = undefined;
  }

  /** Bytes of a stream arrived: the first ones end the first-byte wait, each (re)starts the idle timer of `ms`. */
  armIdle(ms: number): void {
    if (this.idleTimer) this.idleTimer.refresh();
    else {
      this.answered();
      this.idleTimer = setTimeout(() => this.expire('idle'), ms);
    }
  }

  /**
   * The error for a call that the caller or one of our limits ended, else undefined (the replica failed on its own, and
   * the caller describes how). A stalled stream (`idle`) is left to the stream, which knows how far it got.
   */
  failure(err: unknown): Error | undefined {
    if (this.caller.aborted) return new PlatformError(PlatformErrorCode.CANCELLED, 'request cancelled by the caller', { cause: err });
    const replica = redactEndpoint(this.req.baseUrl);
    switch (this.expired ?? undiciLimit(err)) {
      case 'first-byte':
        return new UpstreamError(`replica ${replica} sent no answer within ${this.req.firstByteTimeoutMs} ms`, true, undefined, { cause: err });
      case 'deadline':
        return new UpstreamError(
          `replica ${replica} did not finish within ${this.req.timeoutMs} ms, the inference service's limit for one call to a replica; retry, or ask for fewer tokens if the answer is long`,
          false,
          undefined,
          { cause: err, platformCode: PlatformErrorCode.DEADLINE_EXCEEDED },
        );
      default:
        return undefined;
    }
  }

  dispose(): void {
    clearTimeout(this.deadline);
    clearTimeout(this.firstByte);
    clearTimeout(this.idleTimer);
    this.caller.removeEventListener('abort', this.onCallerAbort);
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
    ...(req.logprobs !== undefined ? { logprobs: req.logprobs } : {}),
    ...(req.presencePenalty !== undefined ? { presence_penalty: req.presencePenalty } : {}),
    ...(req.frequencyPenalty !== undefined ? { frequency_penalty: req.frequencyPenalty } : {}),
    ...(req.logitBias !== undefined ? { logit_bias: req.logitBias } : {}),
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
  };
  return JSON.stringify(req.messages ? { ...common, messages: req.messages } : { ...common, prompt: req.prompt ?? '' });
}

/** A CLIENT span for one call to a replica (a stream is one span, never one per token) and the headers that carry it. */
interface UpstreamTrace {
  span: Span;
  headers: Record<string, string>;
}

// Tracing off: one shared no-op span and no headers, instead of a no-op span, contexts and a carrier per call.
const UNTRACED: UpstreamTrace = { span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT), headers: {} };

function startUpstreamSpan(req: UpstreamRequest, stream: boolean): UpstreamTrace {
  if (!tracingActive()) return UNTRACED;
  const path = req.messages ? '/v1/chat/completions' : '/v1/completions';
  const parent = context.active();
  // The model name and where it went; never the prompt, and the base URL by its origin only.
  const span = tracer().startSpan(
    `POST ${path}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'http.request.method': 'POST',
        'url.path': path,
        'server.address': originOf(req.baseUrl).origin,
        'gen_ai.request.model': req.model,
        'lemur.upstream.stream': stream,
      },
    },
    parent,
  );
  return { span, headers: traceHeaders(trace.setSpan(parent, span)) };
}

function endUpstreamSpan(traced: UpstreamTrace, failure: unknown): void {
  if (failure !== undefined) failSpan(traced.span, failure);
  traced.span.end();
}

async function post(req: UpstreamRequest, payload: string, abort: CallAbort, traced: UpstreamTrace): Promise<Dispatcher.ResponseData> {
  const path = req.messages ? '/v1/chat/completions' : '/v1/completions';
  let response: Dispatcher.ResponseData;
  try {
    response = await request(`${req.baseUrl}${path}`, {
      method: 'POST',
      dispatcher: agent,
      headers: {
        'content-type': 'application/json',
        ...(req.apiKey ? { authorization: `Bearer ${req.apiKey}` } : {}),
        ...traced.headers,
      },
      body: payload,
      signal: abort.signal,
      headersTimeout: req.firstByteTimeoutMs,
      bodyTimeout: req.timeoutMs,
    });
  } catch (err) {
    throw abort.failure(err) ?? new UpstreamError(`cannot reach ${redactEndpoint(req.baseUrl)}: ${(err as Error).message}`, true, undefined, { cause: err });
  }
  // A non-streamed answer's headers come with its body (vLLM sends it whole), an error's with its reason.
  abort.answered();
  traced.span.setAttribute('http.response.status_code', response.statusCode);
  if (response.statusCode >= 200 && response.statusCode < 300) return response;
  throw rejectionFor(req, response.statusCode, await response.body.text().catch(() => ''), response.headers);
}

/**
 * Text from a replica with the API key inference sent it (as `Bearer <key>`) replaced: a server that echoes the
 * Authorization header in an error would otherwise hand the key to the API client and to the logs.
 */
function withoutApiKey(text: string, apiKey: string | undefined): string {
  return apiKey ? text.replaceAll(apiKey, '[redacted]') : text;
}

/**
 * The error for a replica's non-2xx answer: retryable for 5xx and 429, the caller's fault otherwise. A 429 or 503 is a
 * refusal for load, and keeps the Retry-After it came with.
 */
function rejectionFor(req: Pick<UpstreamRequest, 'baseUrl' | 'apiKey'>, status: number, text: string, headers?: ResponseHeaders): Error {
  const message = (() => {
    try {
      return (JSON.parse(text) as { error?: { message?: string }; message?: string }).error?.message ?? text;
    } catch {
      return text;
    }
  })();
  // Redacted before the cut, so a key that straddles it cannot leave a part behind.
  const shown = withoutApiKey(String(message), req.apiKey).slice(0, 500);
  if (status >= 500 || status === 429) {
    const retryAfterSeconds = status === 429 || status === 503 ? retryAfterHeaderSeconds(headers) : undefined;
    return new UpstreamError(`replica ${redactEndpoint(req.baseUrl)} answered ${status}: ${shown}`, true, status, { retryAfterSeconds });
  }
  return new PlatformError(PlatformErrorCode.INVALID_ARGUMENT, `model server rejected the request (${status}): ${shown}`);
}

interface WireLogprobs {
  tokens?: string[];
  token_logprobs?: (number | null)[];
  top_logprobs?: (Record<string, number> | null)[] | null;
  text_offset?: number[];
}
interface WireChoice {
  index?: number;
  text?: string;
  delta?: { content?: string | null };
  message?: { content?: string | null };
  finish_reason?: string | null;
  logprobs?: WireLogprobs | null;
}
interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
}

function choiceText(choice: WireChoice): string {
  return choice.text ?? choice.delta?.content ?? choice.message?.content ?? '';
}

/** The completions API's `logprobs` object; a replica that ignored the request (null, or no tokens) gives none. */
function choiceLogprobs(wire: WireLogprobs | null | undefined): ChoiceLogprobs | undefined {
  if (!wire || !Array.isArray(wire.tokens)) return undefined;
  const tokens = wire.tokens.map(String);
  return {
    tokens,
    tokenLogprobs: tokens.map((_, i) => (typeof wire.token_logprobs?.[i] === 'number' ? wire.token_logprobs[i] : null)),
    topLogprobs: tokens.map((_, i) =>
      Object.entries(wire.top_logprobs?.[i] ?? {})
        .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
        .map(([token, logprob]) => ({ token, logprob })),
    ),
    textOffset: tokens.map((_, i) => wire.text_offset?.[i] ?? 0),
  };
}

function upstreamChoice(c: WireChoice, i: number): UpstreamChoice {
  const logprobs = choiceLogprobs(c.logprobs);
  return { index: c.index ?? i, text: choiceText(c), finishReason: c.finish_reason ?? '', ...(logprobs ? { logprobs } : {}) };
}

/** Calls a replica without streaming and returns every choice with the token usage. */
export async function completeUpstream(
  req: UpstreamRequest,
): Promise<{ choices: UpstreamChoice[]; usage: { promptTokens: number; completionTokens: number } }> {
  const abort = new CallAbort(req.signal, req);
  const traced = startUpstreamSpan(req, false);
  let failure: unknown;
  let json: { choices?: WireChoice[]; usage?: WireUsage };
  try {
    const payload = body(req, false);
    const sent = performance.now();
    let text: string;
    try {
      const response = await post(req, payload, abort, traced);
      text = await response.body.text();
    } catch (err) {
      if (err instanceof PlatformError || err instanceof UpstreamError) throw err;
      throw abort.failure(err) ?? new UpstreamError(`replica ${redactEndpoint(req.baseUrl)} sent an unreadable body`, true, undefined, { cause: err });
    } finally {
      req.onReplicaTime?.(performance.now() - sent);
    }
    try {
      json = JSON.parse(text) as typeof json;
    } catch (err) {
      throw new UpstreamError(`replica ${redactEndpoint(req.baseUrl)} sent an unreadable body`, true, undefined, { cause: err });
    }
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    abort.dispose();
    endUpstreamSpan(traced, failure);
  }
  return {
    choices: (json.choices ?? []).map(upstreamChoice),
    usage: { promptTokens: json.usage?.prompt_tokens ?? 0, completionTokens: json.usage?.completion_tokens ?? 0 },
  };
}

/**
 * Streams a completion from a replica (server-sent events). Errors before the first chunk are retryable; a stream that
 * breaks or stalls later ends with a non-retryable error, never a silent truncation.
 */
export async function* streamUpstream(req: UpstreamRequest): AsyncGenerator<UpstreamChunk> {
  const abort = new CallAbort(req.signal, req);
  const traced = startUpstreamSpan(req, true);
  const call = new StreamingCall(req, abort, traced);
  let produced = 0;
  let finished = false;
  let failure: unknown;
  try {
    await call.opened;
    const events = new SseDataReader();
    try {
      // Until the first bytes the first-byte limit applies (the engine's queue and prefill); then the idle timer.
      for (;;) {
        const bytes = call.read();
        if (bytes === undefined) {
          await call.readable();
          continue;
        }
        if (bytes === null) break;
        abort.armIdle(req.idleTimeoutMs);
        for (let data = events.first(bytes); data !== undefined; data = events.next()) {
          if (data === '[DONE]') {
            finished = true;
            continue;
          }
          const json = JSON.parse(data) as { choices?: WireChoice[]; usage?: WireUsage | null };
          // Every chunk has the same four fields (one object shape for the code that reads them, once per token).
          for (const choice of json.choices ?? []) {
            produced += 1;
            yield { index: choice.index ?? 0, delta: choiceText(choice), finishReason: choice.finish_reason || undefined, usage: undefined };
          }
          if (json.usage) {
            yield {
              index: 0,
              delta: '',
              finishReason: undefined,
              usage: { promptTokens: json.usage.prompt_tokens ?? 0, completionTokens: json.usage.completion_tokens ?? 0 },
            };
          }
        }
      }
    } catch (err) {
      const ended = abort.failure(err);
      if (ended) throw ended;
      // A chunk that is not JSON is quoted in the parser's message, and may echo the key like an error body.
      const raw = (err as Error).message;
      const why = abort.expired === 'idle' ? `sent nothing for ${req.idleTimeoutMs} ms` : withoutApiKey(raw, req.apiKey);
      // The cause is logged with the error: it goes only when it holds no key.
      const cause = req.apiKey && raw.includes(req.apiKey) ? {} : { cause: err };
      throw new UpstreamError(`stream from ${redactEndpoint(req.baseUrl)} broke after ${produced} chunks: ${why}`, produced === 0, undefined, cause);
    }
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    // Also reached when the consumer stops early: a request still running is aborted, not left to finish.
    call.close();
    abort.dispose();
    endUpstreamSpan(traced, failure);
  }
  if (!finished) {
    throw new UpstreamError(`stream from ${redactEndpoint(req.baseUrl)} ended after ${produced} chunks without [DONE]`, produced === 0);
  }
}

// Body reads held before the replica is paused (TCP flow control then holds it back).
const MAX_QUEUED_READS = 32;
const origins = new Map<string, { origin: string; prefix: string }>();

/** Origin and path prefix of a replica's base URL, parsed once per replica. */
function originOf(baseUrl: string): { origin: string; prefix: string } {
  let parsed = origins.get(baseUrl);
  if (!parsed) {
    const url = new URL(baseUrl);
    parsed = { origin: url.origin, prefix: url.pathname.replace(/\/$/, '') };
    origins.set(baseUrl, parsed);
  }
  return parsed;
}

/**
 * One streamed POST on undici's dispatch API: the body's bytes go from the HTTP parser into a queue that the stream
 * reads, with no Readable between (a Readable costs several ticks and promises per read, for every streamed token).
 * `opened` settles like `post` does (the same errors for an unreachable replica or a non-2xx answer).
 */
class StreamingCall implements Dispatcher.DispatchHandler {
  readonly opened: Promise<void>;
  private open!: () => void;
  private fail!: (err: unknown) => void;
  private controller: Dispatcher.DispatchController | undefined;
  private readonly queue: Buffer[] = [];
  private head = 0;
  private ended = false;
  private failure: Error | undefined;
  private waiter: (() => void) | undefined;
  private status = 0;
  private errorBody: Buffer[] | undefined;
  /** An error answer's headers, for the Retry-After of a refusal. */
  private errorHeaders: ResponseHeaders | undefined;
  private readonly onAbort = () => this.controller?.abort(this.abort.signal.reason);

  constructor(
    private readonly req: UpstreamRequest,
    private readonly abort: CallAbort,
    private readonly traced: UpstreamTrace,
  ) {
    this.opened = new Promise<void>((resolve, reject) => {
      this.open = resolve;
      this.fail = reject;
    });
    // Handled by the caller's await, or never awaited when the consumer stops first: no unhandled rejection either way.
    this.opened.catch(() => undefined);
    const { origin, prefix } = originOf(req.baseUrl);
    abort.signal.addEventListener('abort', this.onAbort, { once: true });
    agent.dispatch(
      {
        origin,
        path: `${prefix}${req.messages ? '/v1/chat/completions' : '/v1/completions'}`,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(req.apiKey ? { authorization: `Bearer ${req.apiKey}` } : {}), ...traced.headers },
        body: body(req, true),
        headersTimeout: req.firstByteTimeoutMs,
        bodyTimeout: req.timeoutMs,
      },
      this,
    );
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abort.signal.aborted) controller.abort(this.abort.signal.reason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: ResponseHeaders): void {
    this.status = statusCode;
    this.traced.span.setAttribute('http.response.status_code', statusCode);
    if (statusCode >= 200 && statusCode < 300) this.open();
    else {
      this.errorBody = [];
      this.errorHeaders = headers;
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.errorBody) {
      this.errorBody.push(chunk);
      return;
    }
    this.queue.push(chunk);
    if (this.queue.length - this.head >= MAX_QUEUED_READS) controller.pause();
    this.wake();
  }

  onResponseEnd(): void {
    this.ended = true;
    if (this.errorBody) this.fail(rejectionFor(this.req, this.status, Buffer.concat(this.errorBody).toString('utf8'), this.errorHeaders));
    this.wake();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.failure = err;
    if (this.status === 0) {
      this.fail(this.abort.failure(err) ?? new UpstreamError(`cannot reach ${redactEndpoint(this.req.baseUrl)}: ${err.message}`, true, undefined, { cause: err }));
    } else if (this.errorBody) {
      this.fail(rejectionFor(this.req, this.status, '', this.errorHeaders));
    }
    this.wake();
  }

  /** The next bytes of the body; undefined when none arrived yet (await `readable()`), null at its end. */
  read(): Buffer | undefined | null {
    if (this.head < this.queue.length) {
      const bytes = this.queue[this.head]!;
      this.queue[this.head++] = EMPTY;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
        if (this.controller?.paused) this.controller.resume();
      }
      return bytes;
    }
    if (this.failure) throw this.failure;
    return this.ended ? null : undefined;
  }

  /** Resolves when `read()` has something new to say. */
  readable(): Promise<void> {
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /** Ends the request if it is still running (the consumer stopped early). */
  close(): void {
    this.abort.signal.removeEventListener('abort', this.onAbort);
    if (!this.ended && !this.failure) this.controller?.abort(new Error('stream closed by its consumer'));
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

const EMPTY = Buffer.alloc(0);

const LF = 0x0a;

/**
 * The `data:` payloads of a server-sent-events byte stream, scanned on the bytes with indexOf: one string per payload,
 * not a growing text buffer sliced per event. Events end with a blank line; only `data:` fields matter here.
 */
export class SseDataReader {
  private pending: Buffer | undefined;
  private bytes: Buffer = Buffer.alloc(0);
  private pos = 0;
  private lineStart = 0;

  /** Adds bytes and returns the first complete payload in them, if any; then call next() until undefined. */
  first(bytes: Buffer): string | undefined {
    this.bytes = this.pending ? Buffer.concat([this.pending, bytes]) : bytes;
    this.pending = undefined;
    this.pos = 0;
    this.lineStart = 0;
    return this.next();
  }

  next(): string | undefined {
    const bytes = this.bytes;
    for (;;) {
      const lf = bytes.indexOf(LF, this.pos);
      if (lf < 0) {
        // An incomplete line (or event) waits for the next read.
        if (this.lineStart < bytes.length) this.pending = bytes.subarray(this.lineStart);
        return undefined;
      }
      const start = this.lineStart;
      const end = lf > start && bytes[lf - 1] === 0x0d ? lf - 1 : lf;
      this.pos = lf + 1;
      this.lineStart = lf + 1;
      // "data:" then an optional space; other fields and blank lines carry nothing for us.
      if (end - start >= 5 && bytes[start] === 0x64 && bytes.toString('latin1', start, start + 5) === 'data:') {
        return bytes.toString('utf8', start + 5, end).trim();
      }
    }
  }
}
