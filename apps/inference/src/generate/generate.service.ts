import type { Priority } from '@lemur/fairness';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import { cacheKeyOf, isCacheable, type CachedCompletion } from '../cache/cached-completion';
import type { ResponseCacheService } from '../cache/response-cache.service';
import type { Admission, FairAdmissionService } from '../fairness/fair-admission.service';
import type { ColdStart } from '../kubernetes/lemur-model.controller';
import type { RequestActivity } from '../kubernetes/model-activity.tracker';
import type { ModelRegistry, RegisteredModel } from '../registry/model-registry';
import type { GenerateMetrics } from './generate.metrics';
import { ReplicaRefusals } from './replica-refusals';
import { RequestObservation } from './request-observation';
import {
  completeUpstream,
  streamUpstream,
  UpstreamError,
  type GenerationParams,
  type UpstreamChoice,
  type UpstreamChunk,
  type UpstreamRequest,
} from '../upstream/openai-upstream';

/** A validated generation request, independent of the transport. */
export interface GenerateCommand extends GenerationParams {
  team: string;
  sessionKey?: string;
  priority: Priority;
  /** Skip the response cache (neither read nor written). */
  noCache: boolean;
}

export interface GenerateResult {
  choices: UpstreamChoice[];
  usage: { promptTokens: number; completionTokens: number };
  endpoint: string;
  latencyMs: number;
  /**
   * The replicas' own time: from sending each attempt's request to the last byte of its answer, without cache, admission,
   * routing, building the request body or parsing the answer (0 when cached).
   */
  upstreamMs: number;
  attempts: number;
  cached: boolean;
  queueMs: number;
}

/** What answered a request from the response cache reports as its endpoint. */
export const CACHE_ENDPOINT = 'cache';

// Prompt tokens are unknown until a replica answers; ~4 characters a token is the usual estimate for English and code.
function estimatePromptTokens(cmd: GenerateCommand): number {
  const chars = cmd.messages ? cmd.messages.reduce((sum, m) => sum + m.content.length + 4, 0) : (cmd.prompt ?? '').length;
  return Math.ceil(chars / 4);
}

/**
 * Serves a generation: from the response cache when the request is deterministic, else after admission control
 * (per-team limits, fair queueing), on the least-loaded replica, retrying on another replica while nothing was produced.
 */
export class GenerateService {
  /** Model → the reason its cache is off, as last logged: said once per model, not once per request. */
  private readonly cacheOffLogged = new Map<string, string>();

  constructor(
    private readonly registry: ModelRegistry,
    private readonly metrics: GenerateMetrics,
    private readonly logger: Logger,
    private readonly opts: { maxAttempts: number; upstreamTimeoutMs: number; firstByteTimeoutMs: number; idleTimeoutMs: number },
    private readonly admission: FairAdmissionService,
    private readonly cache: ResponseCacheService | undefined,
    /** Cluster mode: starts a replica of a model scaled to zero and waits (bounded) for it to be ready. */
    private readonly coldStart?: ColdStart,
    /** Cluster mode: every request marks its model active, the autoscaler's clock for scaling to zero. */
    private readonly activity?: RequestActivity,
  ) {}

  async generate(cmd: GenerateCommand, signal: AbortSignal): Promise<GenerateResult> {
    const started = Date.now();
    const model = this.registry.get(cmd.model);
    const obs = new RequestObservation(this.metrics, model.name, cmd.team, started);
    this.metrics.inFlight.inc({ model: model.name });
    const endActivity = this.activity?.begin(model.name);
    try {
      const key = this.cacheKey(model, cmd);
      const hit = key ? await this.lookup(key, model, cmd) : undefined;
      if (hit) {
        obs.routedTo(CACHE_ENDPOINT);
        obs.usage(hit.usage);
        obs.end(Date.now());
        return { ...hit, endpoint: CACHE_ENDPOINT, latencyMs: Date.now() - started, upstreamMs: 0, attempts: 0, cached: true, queueMs: 0 };
      }
      const admission = await this.admit(model, cmd, signal);
      let used = 0;
      let upstreamMs = 0;
      try {
        const tried = new Set<string>();
        const refusals = new ReplicaRefusals();
        for (let attempt = 1; ; attempt++) {
          const endpoint = await this.pickOrWake(model, cmd, tried, refusals, signal);
          obs.routedTo(endpoint.url);
          const end = model.router.begin(endpoint);
          try {
            const result = await completeUpstream({
              ...this.upstream(model, endpoint.url, cmd, signal),
              onReplicaTime: (ms) => {
                upstreamMs += ms;
              },
            });
            end('ok');
            used = result.usage.promptTokens + result.usage.completionTokens;
            obs.usage(result.usage);
            if (key) this.cache?.put(key, { model: model.name, revision: revisionOf(model) }, result);
            obs.end(Date.now());
            return {
              ...result,
              endpoint: endpoint.url,
              latencyMs: Date.now() - started,
              upstreamMs: Math.round(upstreamMs),
              attempts: attempt,
              cached: false,
              queueMs: admission.queueMs,
            };
          } catch (err) {
            this.settle(end, err, signal);
            tried.add(endpoint.url);
            refusals.note(err);
            this.retryOrThrow(err, attempt, model, endpoint.url, refusals);
            obs.retried(endpoint.url);
          }
        }
      } finally {
        admission.release(used);
      }
    } catch (err) {
      obs.end(Date.now(), err, signal);
      throw err;
    } finally {
      this.metrics.inFlight.dec({ model: model.name });
      endActivity?.();
    }
  }

  /**
   * Streams a generation; retries on another replica only until the first chunk has been sent. A cached completion is
   * streamed too (one chunk per choice, endpoint `cache`), and a stream that finishes cleanly fills the cache.
   */
  async *generateStream(cmd: GenerateCommand, signal: AbortSignal): AsyncGenerator<UpstreamChunk & { endpoint: string }> {
    if (cmd.logprobs !== undefined) {
      throw PlatformError.invalid('sampling.logprobs', 'log-probabilities are returned by Generate only; the stream does not carry them');
    }
    const started = Date.now();
    const model = this.registry.get(cmd.model);
    const obs = new RequestObservation(this.metrics, model.name, cmd.team, started);
    this.metrics.inFlight.inc({ model: model.name });
    const endActivity = this.activity?.begin(model.name);
    let failure: unknown;
    try {
      const key = this.cacheKey(model, cmd);
      const hit = key ? await this.lookup(key, model, cmd) : undefined;
      if (hit) {
        obs.routedTo(CACHE_ENDPOINT);
        for (const choice of hit.choices) {
          obs.chunk(Date.now());
          yield { index: choice.index, delta: choice.text, finishReason: choice.finishReason, endpoint: CACHE_ENDPOINT };
        }
        obs.usage(hit.usage);
        yield { index: 0, delta: '', usage: hit.usage, endpoint: CACHE_ENDPOINT };
        return;
      }
      const admission = await this.admit(model, cmd, signal);
      let used = estimatePromptTokens(cmd);
      try {
        const tried = new Set<string>();
        const refusals = new ReplicaRefusals();
        for (let attempt = 1; ; attempt++) {
          const endpoint = await this.pickOrWake(model, cmd, tried, refusals, signal);
          obs.routedTo(endpoint.url);
          const end = model.router.begin(endpoint);
          const fill = key ? new CompletionCollector(cmd.n) : undefined;
          let sent = 0;
          try {
            for await (const chunk of streamUpstream(this.upstream(model, endpoint.url, cmd, signal))) {
              sent += 1;
              fill?.add(chunk);
              if (chunk.usage) {
                used = chunk.usage.promptTokens + chunk.usage.completionTokens;
                obs.usage(chunk.usage);
              } else {
                used += 1;
                obs.chunk(Date.now());
              }
              // Built field by field: a spread of the upstream's chunks (three shapes) takes V8's slow path, microseconds
              // a token.
              yield { index: chunk.index, delta: chunk.delta, finishReason: chunk.finishReason, usage: chunk.usage, endpoint: endpoint.url };
            }
            end('ok');
            const completion = fill?.result();
            if (key && completion) this.cache?.put(key, { model: model.name, revision: revisionOf(model) }, completion);
            return;
          } catch (err) {
            this.settle(end, err, signal);
            tried.add(endpoint.url);
            if (sent > 0 || !(err instanceof UpstreamError)) {
              throw err instanceof UpstreamError ? new PlatformError(err.platformCode, err.message, { cause: err }) : err;
            }
            refusals.note(err);
            this.retryOrThrow(err, attempt, model, endpoint.url, refusals);
            obs.retried(endpoint.url);
          }
        }
      } finally {
        admission.release(used);
      }
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      // Also reached when the consumer stops iterating (the caller cancelled): that is not a success.
      obs.end(Date.now(), failure ?? (signal.aborted ? signal.reason : undefined), signal);
      this.metrics.inFlight.dec({ model: model.name });
      endActivity?.();
    }
  }

  /** The cache key when this request may use the cache, else undefined. */
  private cacheKey(model: RegisteredModel, cmd: GenerateCommand): string | undefined {
    if (!this.cache) return undefined;
    const input = { ...cmd, model: model.name, revision: revisionOf(model) };
    if (!isCacheable(input)) return undefined;
    // Weights behind a branch or tag can change under the same revision: an answer kept now could be another model's.
    if (model.cacheOff !== undefined) {
      if (this.cacheOffLogged.get(model.name) !== model.cacheOff) {
        this.cacheOffLogged.set(model.name, model.cacheOff);
        this.logger.info({ model: model.name }, `cache off for model ${model.name}: ${model.cacheOff}`);
      }
      return undefined;
    }
    return cacheKeyOf(input);
  }

  private async lookup(key: string, model: RegisteredModel, cmd: GenerateCommand): Promise<CachedCompletion | undefined> {
    const hit = await this.cache?.get(key);
    (hit ? this.metrics.cacheHits : this.metrics.cacheMisses).inc({ model: model.name, team: cmd.team });
    return hit;
  }

  private async admit(model: RegisteredModel, cmd: GenerateCommand, signal: AbortSignal): Promise<Admission> {
    const admission = await this.admission.acquire(
      { team: cmd.team, priority: cmd.priority, tokens: estimatePromptTokens(cmd) + cmd.maxTokens * cmd.n },
      signal,
    );
    this.metrics.queueTime.observe({ model: model.name, team: cmd.team, priority: cmd.priority }, admission.queueMs / 1000);
    return admission;
  }

  /** Before the first attempt, a model with no replica at all may be scaled to zero: wake it and wait. */
  private async pickOrWake(model: RegisteredModel, cmd: GenerateCommand, tried: Set<string>, refusals: ReplicaRefusals, signal: AbortSignal) {
    if (tried.size === 0 && this.coldStart && model.router.urls().length === 0) await this.coldStart.waitForReplica(model.name, signal);
    return this.pick(model, cmd, tried, refusals);
  }

  private pick(model: RegisteredModel, cmd: GenerateCommand, tried: Set<string>, refusals: ReplicaRefusals) {
    // Prefer a replica not tried yet; when all were tried, try the least loaded again (a transient 5xx).
    const endpoint = model.router.pick(cmd, Date.now(), tried) ?? model.router.pick(cmd, Date.now());
    if (!endpoint) {
      throw new PlatformError(
        PlatformErrorCode.NO_READY_ENDPOINT,
        `no replica of model "${model.name}" could serve the request (tried ${tried.size})`,
        // Replicas ejected after refusing for load still said when they expect to take work again.
        { retryAfterSeconds: refusals.retryAfterSeconds() },
      );
    }
    return endpoint;
  }

  /** How an attempt ended for the router: a replica's failure (our own time limits included) counts towards ejecting it. */
  private settle(end: (o: 'ok' | 'failed' | 'cancelled') => void, err: unknown, signal: AbortSignal): void {
    if (signal.aborted) end('cancelled');
    else if (err instanceof UpstreamError) end('failed');
    else end('ok');
  }

  private retryOrThrow(err: unknown, attempt: number, model: RegisteredModel, endpoint: string, refusals: ReplicaRefusals): void {
    if (!(err instanceof UpstreamError) || !err.retryable) {
      if (err instanceof UpstreamError) throw new PlatformError(err.platformCode, err.message, { cause: err });
      throw err;
    }
    if (attempt >= this.opts.maxAttempts) {
      throw new PlatformError(
        PlatformErrorCode.UPSTREAM_FAILED,
        `model "${model.name}" failed after ${attempt} attempts; last: ${err.message}`,
        // When every replica refused for load and said when to come back, the caller is told the soonest.
        { cause: err, retryAfterSeconds: refusals.retryAfterSeconds() },
      );
    }
    this.logger.warn({ model: model.name, endpoint, attempt, err }, 'upstream attempt failed, retrying on another replica');
  }

  private upstream(model: RegisteredModel, baseUrl: string, cmd: GenerateCommand, signal: AbortSignal): UpstreamRequest {
    return {
      baseUrl,
      apiKey: model.apiKey,
      model: model.servedModelName,
      ...(cmd.messages ? { messages: cmd.messages } : { prompt: cmd.prompt ?? '' }),
      maxTokens: cmd.maxTokens,
      temperature: cmd.temperature,
      topP: cmd.topP,
      stop: cmd.stop,
      ...(cmd.seed !== undefined ? { seed: cmd.seed } : {}),
      ...(cmd.logprobs !== undefined ? { logprobs: cmd.logprobs } : {}),
      ...(cmd.presencePenalty !== undefined ? { presencePenalty: cmd.presencePenalty } : {}),
      ...(cmd.frequencyPenalty !== undefined ? { frequencyPenalty: cmd.frequencyPenalty } : {}),
      ...(cmd.logitBias !== undefined ? { logitBias: cmd.logitBias } : {}),
      n: cmd.n,
      signal,
      timeoutMs: this.opts.upstreamTimeoutMs,
      firstByteTimeoutMs: this.opts.firstByteTimeoutMs,
      idleTimeoutMs: this.opts.idleTimeoutMs,
    };
  }
}

/** The model revision a cached answer belongs to ('' for registry entries that do not pin one). */
function revisionOf(model: RegisteredModel): string {
  return 'revision' in model && typeof model.revision === 'string' ? model.revision : '';
}

/** Rebuilds a whole completion from stream chunks; yields nothing unless every choice finished and usage arrived. */
class CompletionCollector {
  private readonly texts = new Map<number, string>();
  private readonly finished = new Map<number, string>();
  private usage: CachedCompletion['usage'] | undefined;

  constructor(private readonly n: number) {}

  add(chunk: UpstreamChunk): void {
    if (chunk.usage) this.usage = chunk.usage;
    else this.texts.set(chunk.index, (this.texts.get(chunk.index) ?? '') + chunk.delta);
    if (chunk.finishReason) this.finished.set(chunk.index, chunk.finishReason);
  }

  result(): CachedCompletion | undefined {
    if (!this.usage || this.finished.size < this.n) return undefined;
    const choices = [...this.finished.keys()].sort((a, b) => a - b).map((index) => ({
      index,
      text: this.texts.get(index) ?? '',
      finishReason: this.finished.get(index)!,
    }));
    return { choices, usage: this.usage };
  }
}
