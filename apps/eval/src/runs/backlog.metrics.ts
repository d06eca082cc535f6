import { Gauge, type Registry } from 'prom-client';

/**
 * The eval backlog, read from the database at scrape time by the API process only (workers would report the same
 * number once each). Every known benchmark is always present, at 0 when idle, so a drained backlog reads 0, not absent.
 */
export class BacklogMetrics {
  constructor(registry: Registry, benchmarks: readonly string[], pendingByBenchmark: () => Promise<Map<string, number>>) {
    new Gauge({
      name: 'lemur_eval_backlog_samples',
      help: 'Samples of queued and running runs not yet scored, errored or cancelled, by benchmark.',
      labelNames: ['benchmark'],
      registers: [registry],
      async collect() {
        const pending = await pendingByBenchmark();
        this.reset();
        for (const benchmark of new Set([...benchmarks, ...pending.keys()])) this.set({ benchmark }, pending.get(benchmark) ?? 0);
      },
    });
  }
}
