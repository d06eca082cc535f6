import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metrics of the one-shot warm pool (pre-started sandboxes for Execute); labels are bounded (language, source, reason). */
export class ExecPoolMetrics {
  readonly ready: Gauge<'language'>;
  readonly startWait: Histogram<'language' | 'source'>;
  readonly misses: Counter<'language' | 'reason'>;

  constructor(registry: Registry) {
    this.ready = new Gauge({
      name: 'lemur_sandbox_exec_pool_ready',
      help: 'Pre-started one-shot sandboxes waiting for a program.',
      labelNames: ['language'],
      registers: [registry],
    });
    this.startWait = new Histogram({
      name: 'lemur_sandbox_exec_start_seconds',
      help: 'Time Execute waited before its program was delivered (pool) or its sandbox spawned (cold), by source.',
      labelNames: ['language', 'source'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    });
    this.misses = new Counter({
      name: 'lemur_sandbox_exec_pool_misses_total',
      help: 'Execute requests that ran cold although the pool is on: empty (none ready), shape (a language or spawn-fixed limits the pool does not hold) or dead (the sandbox taken had died while it waited; the run went cold).',
      labelNames: ['language', 'reason'],
      registers: [registry],
    });
  }
}
