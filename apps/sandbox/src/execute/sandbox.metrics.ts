import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metrics of sandboxed runs; outcome is bounded (ok, nonzero_exit, or the limit that ended the run). */
export class SandboxMetrics {
  readonly runs: Counter<'language' | 'outcome'>;
  readonly duration: Histogram<'language'>;
  readonly waiting: Gauge;
  readonly running: Gauge;

  constructor(registry: Registry) {
    this.runs = new Counter({
      name: 'lemur_sandbox_runs_total',
      help: 'Sandboxed programs by language and outcome.',
      labelNames: ['language', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'lemur_sandbox_run_duration_seconds',
      help: 'Wall time of sandboxed programs.',
      labelNames: ['language'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.waiting = new Gauge({ name: 'lemur_sandbox_runs_waiting', help: 'Programs waiting for a free slot.', registers: [registry] });
    this.running = new Gauge({ name: 'lemur_sandbox_runs_running', help: 'Programs running now.', registers: [registry] });
  }
}
