import type { EndpointSnapshot } from '@lemur/routing';
import { Counter, Gauge, type Registry } from 'prom-client';
import { redactEndpoint } from '../registry/endpoint-url';
import type { ModelRegistry } from '../registry/model-registry';

/**
 * Replica-level routing metrics, by model and replica (the redacted endpoint URL: bounded by the replica count). The state
 * gauges are read from the routers at scrape time, so they never drift from what routing actually uses.
 */
export class RoutingMetrics {
  readonly ejections: Counter<'model' | 'replica'>;
  readonly engineScrapes: Counter<'replica' | 'outcome'>;
  private models: ModelRegistry | undefined;

  constructor(registry: Registry) {
    const registers = [registry];
    this.ejections = new Counter({
      name: 'lemur_inference_replica_ejections_total',
      help: 'Replicas taken out of rotation after consecutive failures (each ejection, including a failed probe).',
      labelNames: ['model', 'replica'],
      registers,
    });
    this.engineScrapes = new Counter({
      name: 'lemur_inference_engine_scrapes_total',
      help: "Scrapes of replicas' engine metrics (/metrics) by outcome (ok, error).",
      labelNames: ['replica', 'outcome'],
      registers,
    });
    const perReplica = (gauge: Gauge<'model' | 'replica' | 'policy'>, value: (s: EndpointSnapshot) => number): void => {
      // Reset first: a replica or model that left must not linger with its last value.
      gauge.reset();
      const now = Date.now();
      for (const model of this.models?.list() ?? []) {
        for (const s of model.router.snapshot(now)) gauge.set({ model: model.name, replica: redactEndpoint(s.url), policy: model.routingPolicy }, value(s));
      }
    };
    new Gauge({
      name: 'lemur_inference_replica_load',
      help: 'Load estimate routing uses, in requests (engine running + waiting + requests sent since the scrape, weighted).',
      labelNames: ['model', 'replica', 'policy'],
      registers,
      collect() {
        perReplica(this, (s) => s.load);
      },
    });
    new Gauge({
      name: 'lemur_inference_replica_ready',
      help: '1 when the replica is in rotation, 0 while it is ejected or on probation.',
      labelNames: ['model', 'replica', 'policy'],
      registers,
      collect() {
        perReplica(this, (s) => (s.ready ? 1 : 0));
      },
    });
    new Gauge({
      name: 'lemur_inference_replica_engine_metrics_stale',
      help: "1 when the replica's engine metrics are missing or too old to route on (only in-flight counts are used).",
      labelNames: ['model', 'replica', 'policy'],
      registers,
      collect() {
        perReplica(this, (s) => (s.stale ? 1 : 0));
      },
    });
  }

  /** The registry whose routers the state gauges report (built after these metrics: it reports ejections here). */
  observe(models: ModelRegistry): void {
    this.models = models;
  }
}
