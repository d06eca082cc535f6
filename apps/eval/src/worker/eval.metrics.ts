import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metrics of the eval workers; labels bounded to benchmark, outcome, model and team. */
export class EvalMetrics {
  readonly samples: Counter<'benchmark' | 'outcome'>;
  readonly sampleDuration: Histogram<'benchmark'>;
  readonly inFlight: Gauge;
  readonly runsFinished: Counter<'status'>;
  readonly agentTurnOverhead: Histogram<'benchmark'>;
  readonly modelConcurrencyLimit: Gauge<'model' | 'team'>;

  constructor(registry: Registry) {
    this.samples = new Counter({
      name: 'lemur_eval_samples_total',
      help: 'Samples finished by outcome (scored, errored, retried, skipped).',
      labelNames: ['benchmark', 'outcome'],
      registers: [registry],
    });
    this.sampleDuration = new Histogram({
      name: 'lemur_eval_sample_duration_seconds',
      help: 'Time to generate and score one sample.',
      labelNames: ['benchmark'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    });
    this.inFlight = new Gauge({
      name: 'lemur_eval_samples_in_flight',
      help: 'Samples this worker is processing.',
      registers: [registry],
    });
    this.runsFinished = new Counter({
      name: 'lemur_eval_runs_finished_total',
      help: 'Runs that reached a final status.',
      labelNames: ['status'],
      registers: [registry],
    });
    this.agentTurnOverhead = new Histogram({
      name: 'lemur_eval_agent_turn_overhead_seconds',
      help: "Platform time of one agent turn: the turn's wall time minus the model's and the sandboxed code's own reported time.",
      labelNames: ['benchmark'],
      buckets: [0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
    this.modelConcurrencyLimit = new Gauge({
      name: 'lemur_eval_model_concurrency_limit',
      help: "Samples this worker lets run at once against a model for a team: the adaptive limit, halved on 429/503/RESOURCE_EXHAUSTED, grown back on successes, at most the runs' concurrency.",
      labelNames: ['model', 'team'],
      registers: [registry],
    });
  }
}
