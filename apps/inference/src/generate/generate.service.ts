import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import type { ModelRegistry, RegisteredModel } from '../registry/model-registry';
import type { GenerateMetrics } from './generate.metrics';
import { completeUpstream, streamUpstream, UpstreamError, type UpstreamChunk, type UpstreamRequest } from '../upstream/openai-upstream';

/** A validated generation request, independent of the transport. */
export interface GenerateCommand {
  model: string;
  prompt?: string;
  messages?: { role: string; content: string }[];
  maxTokens: number;
  temperature: number;
  topP: number;
  stop: string[];
  seed?: number;
  n: number;
  team: string;
}

export interface GenerateResult {
  choices: { index: number; text: string; finishReason: string }[];
  usage: { promptTokens: number; completionTokens: number };
  endpoint: string;
  latencyMs: number;
  attempts: number;
}

/** Routes a generation to the least-loaded replica, retries on another replica when nothing was produced yet. */
export class GenerateService {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly metrics: GenerateMetrics,
    private readonly logger: Logger,
    private readonly opts: { maxAttempts: number; upstreamTimeoutMs: number; idleTimeoutMs: number },
  ) {}

  async generate(cmd: GenerateCommand, signal: AbortSignal): Promise<GenerateResult> {
    const started = Date.now();
    const model = this.registry.get(cmd.model);
    return this.observe(model, started, async () => {
      const tried = new Set<string>();
      for (let attempt = 1; ; attempt++) {
        const endpoint = this.pick(model, tried);
        const end = model.router.begin(endpoint);
        try {
          const result = await completeUpstream(this.upstream(model, endpoint.url, cmd, signal));
          end('ok');
          this.metrics.completionTokens.inc({ model: model.name }, result.usage.completionTokens);
          return { ...result, endpoint: endpoint.url, latencyMs: Date.now() - started, attempts: attempt };
        } catch (err) {
          this.settle(end, err, signal);
          tried.add(endpoint.url);
          this.retryOrThrow(err, attempt, model, endpoint.url);
        }
      }
    });
  }

  /** Streams a generation; retries on another replica only until the first chunk has been sent. */
  async *generateStream(cmd: GenerateCommand, signal: AbortSignal): AsyncGenerator<UpstreamChunk & { endpoint: string }> {
    const started = Date.now();
    const model = this.registry.get(cmd.model);
    this.metrics.inFlight.inc({ model: model.name });
    let outcome = 'error';
    try {
      const tried = new Set<string>();
      for (let attempt = 1; ; attempt++) {
        const endpoint = this.pick(model, tried);
        const end = model.router.begin(endpoint);
        let sent = 0;
        try {
          for await (const chunk of streamUpstream(this.upstream(model, endpoint.url, cmd, signal))) {
            sent += 1;
            if (chunk.usage) this.metrics.completionTokens.inc({ model: model.name }, chunk.usage.completionTokens);
            yield { ...chunk, endpoint: endpoint.url };
          }
          end('ok');
          outcome = 'ok';
          return;
        } catch (err) {
          this.settle(end, err, signal);
          tried.add(endpoint.url);
          if (sent > 0 || !(err instanceof UpstreamError)) {
            throw err instanceof UpstreamError ? new PlatformError(PlatformErrorCode.UPSTREAM_FAILED, err.message, { cause: err }) : err;
          }
          this.retryOrThrow(err, attempt, model, endpoint.url);
        }
      }
    } catch (err) {
      if (signal.aborted) outcome = 'cancelled';
      throw err;
    } finally {
      if (signal.aborted) outcome = 'cancelled';
      this.metrics.inFlight.dec({ model: model.name });
      this.metrics.requests.inc({ model: model.name, outcome });
      this.metrics.duration.observe({ model: model.name }, (Date.now() - started) / 1000);
    }
  }

  private async observe<T>(model: RegisteredModel, started: number, fn: () => Promise<T>): Promise<T> {
    this.metrics.inFlight.inc({ model: model.name });
    try {
      const result = await fn();
      this.metrics.requests.inc({ model: model.name, outcome: 'ok' });
      return result;
    } catch (err) {
      const outcome = err instanceof PlatformError && err.code === PlatformErrorCode.CANCELLED ? 'cancelled' : 'error';
      this.metrics.requests.inc({ model: model.name, outcome });
      throw err;
    } finally {
      this.metrics.inFlight.dec({ model: model.name });
      this.metrics.duration.observe({ model: model.name }, (Date.now() - started) / 1000);
    }
  }

  private pick(model: RegisteredModel, tried: Set<string>) {
    // Prefer a replica not tried yet; when all were tried, try the least loaded again (a transient 5xx).
    const endpoint = model.router.pick(Date.now(), tried) ?? model.router.pick(Date.now());
    if (!endpoint) {
      throw new PlatformError(
        PlatformErrorCode.NO_READY_ENDPOINT,
        `no replica of model "${model.name}" could serve the request (tried ${tried.size})`,
      );
    }
    return endpoint;
  }

  private settle(end: (o: 'ok' | 'failed' | 'cancelled') => void, err: unknown, signal: AbortSignal): void {
    if (signal.aborted) end('cancelled');
    else if (err instanceof UpstreamError) end('failed');
    else end('ok');
  }

  private retryOrThrow(err: unknown, attempt: number, model: RegisteredModel, endpoint: string): void {
    if (!(err instanceof UpstreamError) || !err.retryable) {
      if (err instanceof UpstreamError) throw new PlatformError(PlatformErrorCode.UPSTREAM_FAILED, err.message, { cause: err });
      throw err;
    }
    if (attempt >= this.opts.maxAttempts) {
      throw new PlatformError(
        PlatformErrorCode.UPSTREAM_FAILED,
        `model "${model.name}" failed after ${attempt} attempts; last: ${err.message}`,
        { cause: err },
      );
    }
    this.metrics.retries.inc({ model: model.name });
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
      n: cmd.n,
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.opts.upstreamTimeoutMs)]),
      idleTimeoutMs: this.opts.idleTimeoutMs,
    };
  }
}
