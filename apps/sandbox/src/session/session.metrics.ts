import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metrics of sessions and the warm pool; labels are bounded (language, source, reason). */
export class SessionMetrics {
  readonly open: Gauge<'language'>;
  readonly closed: Counter<'language' | 'reason'>;
  readonly poolReady: Gauge<'language'>;
  readonly startWait: Histogram<'language' | 'source'>;

  constructor(registry: Registry) {
    this.open = new Gauge({
      name: 'lemur_sandbox_sessions_open',
      help: 'Open sessions by language.',
      labelNames: ['language'],
      registers: [registry],
    });
    this.closed = new Counter({
      name: 'lemur_sandbox_sessions_closed_total',
      help: 'Sessions ended, by why (closed, idle, ended, shutdown, cancelled: a cell outlived its caller by the grace period).',
      labelNames: ['language', 'reason'],
      registers: [registry],
    });
    this.poolReady = new Gauge({
      name: 'lemur_sandbox_pool_ready',
      help: 'Pre-started interpreters waiting in the warm pool.',
      labelNames: ['language'],
      registers: [registry],
    });
    this.startWait = new Histogram({
      name: 'lemur_sandbox_session_start_seconds',
      help: 'Time CreateSession waited for an interpreter, by source (pool or cold start).',
      labelNames: ['language', 'source'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  }
}
