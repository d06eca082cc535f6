import { Counter, Gauge, type Registry } from 'prom-client';

/** Admission-control metrics; labels are the team and a bounded reason or priority. */
export class FairnessMetrics {
  readonly queued: Gauge<'team' | 'priority'>;
  readonly rejections: Counter<'team' | 'reason'>;

  constructor(registry: Registry) {
    this.queued = new Gauge({
      name: 'lemur_inference_queued_requests',
      help: "Requests waiting for their team's capacity, by team and priority.",
      labelNames: ['team', 'priority'],
      registers: [registry],
    });
    this.rejections = new Counter({
      name: 'lemur_inference_admission_rejections_total',
      help: 'Requests turned away by admission control: queue_full, queue_timeout.',
      labelNames: ['team', 'reason'],
      registers: [registry],
    });
  }
}
