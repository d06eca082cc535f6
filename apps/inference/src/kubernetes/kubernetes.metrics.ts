import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metrics of the LemurModel controller, by model (bounded by the LemurModels in the namespace). */
export class KubernetesMetrics {
  readonly reconciles: Counter<'outcome'>;
  readonly desiredReplicas: Gauge<'model'>;
  readonly recommendedReplicas: Gauge<'model'>;
  readonly scaleEvents: Counter<'model' | 'direction'>;
  readonly coldStartWait: Histogram<'model' | 'outcome'>;
  readonly leader: Gauge;
  readonly leaderTransitions: Counter<'direction'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.reconciles = new Counter({
      name: 'lemur_inference_model_reconciles_total',
      help: 'LemurModel reconciliations by outcome (ok, error).',
      labelNames: ['outcome'],
      registers,
    });
    this.desiredReplicas = new Gauge({
      name: 'lemur_inference_model_desired_replicas',
      help: 'Replicas the autoscaler wants for a model.',
      labelNames: ['model'],
      registers,
    });
    this.recommendedReplicas = new Gauge({
      name: 'lemur_inference_model_recommended_replicas',
      help: "Replicas the replicas' load called for at the last autoscaling round; desired stays higher while the scale-down stabilization window holds it.",
      labelNames: ['model'],
      registers,
    });
    this.scaleEvents = new Counter({
      name: 'lemur_inference_model_scale_events_total',
      help: 'Changes of a model replica count by direction (up, down, from_zero).',
      labelNames: ['model', 'direction'],
      registers,
    });
    this.coldStartWait = new Histogram({
      name: 'lemur_inference_cold_start_wait_seconds',
      help: 'Time requests waited for a scaled-to-zero model to get a ready replica, by outcome (ready, timeout, cancelled).',
      labelNames: ['model', 'outcome'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200],
      registers,
    });
    this.leader = new Gauge({
      name: 'lemur_inference_controller_leader',
      help: 'Whether this replica holds the LemurModel controller lease (1) and so reconciles and autoscales, or only routes (0).',
      registers,
    });
    this.leaderTransitions = new Counter({
      name: 'lemur_inference_controller_leader_transitions_total',
      help: 'Times this replica started or stopped leading the LemurModel controller, by direction (started, stopped).',
      labelNames: ['direction'],
      registers,
    });
  }
}
