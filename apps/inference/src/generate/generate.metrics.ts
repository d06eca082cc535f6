import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metrics of the generate path; labels stay bounded (model, outcome, endpoint index is not used). */
export class GenerateMetrics {
  readonly requests: Counter<'model' | 'outcome'>;
  readonly retries: Counter<'model'>;
  readonly duration: Histogram<'model'>;
  readonly inFlight: Gauge<'model'>;
  readonly completionTokens: Counter<'model'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'lemur_inference_requests_total',
      help: 'Generate calls by model and outcome (ok, error, cancelled).',
      labelNames: ['model', 'outcome'],
      registers: [registry],
    });
    this.retries = new Counter({
      name: 'lemur_inference_retries_total',
      help: 'Upstream attempts retried on another replica.',
      labelNames: ['model'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'lemur_inference_request_duration_seconds',
      help: 'Time from a Generate call to its last token.',
      labelNames: ['model'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    });
    this.inFlight = new Gauge({
      name: 'lemur_inference_requests_in_flight',
      help: 'Generate calls being served.',
      labelNames: ['model'],
      registers: [registry],
    });
    this.completionTokens = new Counter({
      name: 'lemur_inference_completion_tokens_total',
      help: 'Completion tokens returned by replicas.',
      labelNames: ['model'],
      registers: [registry],
    });
  }
}
