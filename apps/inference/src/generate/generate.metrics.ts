import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type RequestLabel = 'model' | 'team' | 'replica';

// Latency buckets in seconds: sub-millisecond for cache hits and inter-token gaps, minutes for long generations.
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const TOKEN_GAP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.15, 0.25, 0.5, 1, 2.5];

/**
 * Metrics of the generate path, by model, team, replica (the endpoint URL: bounded by the replica count; `cache` for
 * answers from the response cache, `none` when no replica was reached) and outcome (ok, error, cancelled, rejected).
 */
export class GenerateMetrics {
  readonly requests: Counter<RequestLabel | 'outcome'>;
  readonly duration: Histogram<RequestLabel | 'outcome'>;
  readonly timeToFirstToken: Histogram<RequestLabel>;
  readonly interTokenLatency: Histogram<RequestLabel>;
  readonly queueTime: Histogram<'model' | 'team' | 'priority'>;
  readonly promptTokens: Counter<RequestLabel>;
  readonly completionTokens: Counter<RequestLabel>;
  readonly retries: Counter<RequestLabel>;
  readonly cacheHits: Counter<'model' | 'team'>;
  readonly cacheMisses: Counter<'model' | 'team'>;
  readonly inFlight: Gauge<'model'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'lemur_inference_requests_total',
      help: 'Generate calls by model, team, replica and outcome (ok, error, cancelled, rejected).',
      labelNames: ['model', 'team', 'replica', 'outcome'],
      registers,
    });
    this.duration = new Histogram({
      name: 'lemur_inference_request_duration_seconds',
      help: 'End-to-end time of a Generate call, from arrival (queueing included) to its last token.',
      labelNames: ['model', 'team', 'replica', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.timeToFirstToken = new Histogram({
      name: 'lemur_inference_time_to_first_token_seconds',
      help: 'Time from arrival (queueing and retries included) to the first streamed token.',
      labelNames: ['model', 'team', 'replica'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.interTokenLatency = new Histogram({
      name: 'lemur_inference_inter_token_latency_seconds',
      help: 'Time between consecutive streamed chunks of one completion.',
      labelNames: ['model', 'team', 'replica'],
      buckets: TOKEN_GAP_BUCKETS,
      registers,
    });
    this.queueTime = new Histogram({
      name: 'lemur_inference_queue_time_seconds',
      help: "Time a request waited for its team's capacity before it was sent.",
      labelNames: ['model', 'team', 'priority'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.promptTokens = new Counter({
      name: 'lemur_inference_prompt_tokens_total',
      help: 'Prompt tokens of answered requests (as the replica or the cache reported them).',
      labelNames: ['model', 'team', 'replica'],
      registers,
    });
    this.completionTokens = new Counter({
      name: 'lemur_inference_completion_tokens_total',
      help: 'Completion tokens returned by replicas or the cache.',
      labelNames: ['model', 'team', 'replica'],
      registers,
    });
    this.retries = new Counter({
      name: 'lemur_inference_retries_total',
      help: 'Upstream attempts retried on another replica, by the replica that failed.',
      labelNames: ['model', 'team', 'replica'],
      registers,
    });
    this.cacheHits = new Counter({
      name: 'lemur_inference_cache_hits_total',
      help: 'Cacheable requests answered from the response cache.',
      labelNames: ['model', 'team'],
      registers,
    });
    this.cacheMisses = new Counter({
      name: 'lemur_inference_cache_misses_total',
      help: 'Cacheable requests not found in the response cache (sent to a replica).',
      labelNames: ['model', 'team'],
      registers,
    });
    this.inFlight = new Gauge({
      name: 'lemur_inference_requests_in_flight',
      help: 'Generate calls being served or queued.',
      labelNames: ['model'],
      registers,
    });
  }
}
