import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { type SchedulerSnapshot } from '../scheduling/seq-scheduler';

const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const TPOT_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const E2E_BUCKETS = [0.01, 0.05, 0.1, 0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480];

/** How a request ended, as vLLM labels `vllm:request_success_total`. */
export type FinishedReasonLabel = 'stop' | 'length' | 'abort';

/**
 * vLLM's Prometheus metrics, same names and `model_name` label, in a registry owned by one simulator so several
 * simulators can share a process. Queue and cache gauges are read from the scheduler at scrape time.
 */
export class VllmMetrics {
  readonly registry = new Registry();
  private readonly ttft: Histogram<'model_name'>;
  private readonly tpot: Histogram<'model_name'>;
  private readonly e2e: Histogram<'model_name'>;
  private readonly promptTokens: Counter<'model_name'>;
  private readonly generationTokens: Counter<'model_name'>;
  private readonly requestSuccess: Counter<'model_name' | 'finished_reason'>;
  private readonly prefixQueries: Counter<'model_name'>;
  private readonly prefixHits: Counter<'model_name'>;

  constructor(
    modelNames: readonly string[],
    snapshot: () => SchedulerSnapshot,
    cache: { blockSize: number; kvCapacityBlocks: number; prefixCaching: boolean },
  ) {
    const registers = [this.registry];
    const perModel = (gauge: Gauge<'model_name'>, pick: (s: SchedulerSnapshot, model: string) => number): void => {
      const state = snapshot();
      for (const model of modelNames) gauge.set({ model_name: model }, pick(state, model));
    };
    // The engine's KV cache is shared by its models, so every model reports the same usage, as vLLM's engine does.
    const cacheUsage = (s: SchedulerSnapshot): number => Math.min(1, s.usedBlocks / cache.kvCapacityBlocks);

    new Gauge({
      name: 'vllm:num_requests_running',
      help: 'Number of requests in model execution batches.',
      labelNames: ['model_name'],
      registers,
      collect() {
        perModel(this, (s, model) => s.running.get(model) ?? 0);
      },
    });
    new Gauge({
      name: 'vllm:num_requests_waiting',
      help: 'Number of requests waiting to be processed.',
      labelNames: ['model_name'],
      registers,
      collect() {
        perModel(this, (s, model) => s.waiting.get(model) ?? 0);
      },
    });
    // vLLM renamed the cache gauge; dashboards in the wild query either name.
    for (const name of ['vllm:gpu_cache_usage_perc', 'vllm:kv_cache_usage_perc']) {
      new Gauge({
        name,
        help: 'KV-cache usage. 1 means 100 percent usage.',
        labelNames: ['model_name'],
        registers,
        collect() {
          perModel(this, (s) => cacheUsage(s));
        },
      });
    }
    this.prefixQueries = new Counter({
      name: 'vllm:prefix_cache_queries_total',
      help: 'Prefix cache queries, in terms of number of queried tokens.',
      labelNames: ['model_name'],
      registers,
    });
    this.prefixHits = new Counter({
      name: 'vllm:prefix_cache_hits_total',
      help: 'Prefix cache hits, in terms of number of cached tokens.',
      labelNames: ['model_name'],
      registers,
    });
    new Gauge({
      name: 'vllm:cache_config_info',
      help: 'Information of the LLMEngine CacheConfig.',
      labelNames: ['block_size', 'num_gpu_blocks', 'enable_prefix_caching'],
      registers,
    }).set({ block_size: String(cache.blockSize), num_gpu_blocks: String(cache.kvCapacityBlocks), enable_prefix_caching: cache.prefixCaching ? 'True' : 'False' }, 1);
    this.ttft = new Histogram({
      name: 'vllm:time_to_first_token_seconds',
      help: 'Histogram of time to first token in seconds.',
      labelNames: ['model_name'],
      buckets: TTFT_BUCKETS,
      registers,
    });
    this.tpot = new Histogram({
      name: 'vllm:time_per_output_token_seconds',
      help: 'Histogram of time per output token in seconds.',
      labelNames: ['model_name'],
      buckets: TPOT_BUCKETS,
      registers,
    });
    this.e2e = new Histogram({
      name: 'vllm:e2e_request_latency_seconds',
      help: 'Histogram of end to end request latency in seconds.',
      labelNames: ['model_name'],
      buckets: E2E_BUCKETS,
      registers,
    });
    this.promptTokens = new Counter({
      name: 'vllm:prompt_tokens_total',
      help: 'Number of prefill tokens processed.',
      labelNames: ['model_name'],
      registers,
    });
    this.generationTokens = new Counter({
      name: 'vllm:generation_tokens_total',
      help: 'Number of generation tokens processed.',
      labelNames: ['model_name'],
      registers,
    });
    this.requestSuccess = new Counter({
      name: 'vllm:request_success_total',
      help: 'Count of successfully processed requests.',
      labelNames: ['model_name', 'finished_reason'],
      registers,
    });
    for (const model of modelNames) {
      // Series exist from the start so dashboards and rate() see a zero, not a gap.
      for (const histogram of [this.ttft, this.tpot, this.e2e]) histogram.zero({ model_name: model });
      this.promptTokens.inc({ model_name: model }, 0);
      this.generationTokens.inc({ model_name: model }, 0);
      this.prefixQueries.inc({ model_name: model }, 0);
      this.prefixHits.inc({ model_name: model }, 0);
      for (const reason of ['stop', 'length', 'abort'] as const) {
        this.requestSuccess.inc({ model_name: model, finished_reason: reason }, 0);
      }
    }
  }

  observeTimeToFirstToken(model: string, seconds: number): void {
    this.ttft.observe({ model_name: model }, seconds);
  }

  observeTimePerOutputToken(model: string, seconds: number): void {
    this.tpot.observe({ model_name: model }, seconds);
  }

  observeEndToEnd(model: string, seconds: number): void {
    this.e2e.observe({ model_name: model }, seconds);
  }

  addPromptTokens(model: string, tokens: number): void {
    this.promptTokens.inc({ model_name: model }, tokens);
  }

  /** One prefix-cache lookup: `queried` prompt tokens, `hits` of them found cached. */
  countPrefixCacheLookup(model: string, queried: number, hits: number): void {
    this.prefixQueries.inc({ model_name: model }, queried);
    this.prefixHits.inc({ model_name: model }, hits);
  }

  addGenerationTokens(model: string, tokens: number): void {
    if (tokens > 0) this.generationTokens.inc({ model_name: model }, tokens);
  }

  countFinished(model: string, reason: FinishedReasonLabel): void {
    this.requestSuccess.inc({ model_name: model, finished_reason: reason });
  }

  /** Prometheus text exposition of this simulator's metrics. */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
