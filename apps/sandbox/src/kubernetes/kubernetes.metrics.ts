import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Metrics of the Kubernetes backend's pod pool; labels are bounded (template, state, outcome, reason). */
export class KubernetesSandboxMetrics {
  readonly pods: Gauge<'template' | 'state'>;
  readonly claimWait: Histogram<'template' | 'outcome'>;
  readonly podsDeleted: Counter<'template' | 'reason'>;
  readonly podsCreated: Counter<'template'>;

  constructor(registry: Registry) {
    this.pods = new Gauge({
      name: 'lemur_sandbox_pod_pool_pods',
      help: 'Sandbox pods of this pool by state (ready: warm and claimable, starting: not Ready yet, claimed: running a program or session).',
      labelNames: ['template', 'state'],
      registers: [registry],
    });
    this.claimWait = new Histogram({
      name: 'lemur_sandbox_pod_claim_wait_seconds',
      help: 'Time a run waited to claim a Ready sandbox pod, by outcome (claimed, timeout).',
      labelNames: ['template', 'outcome'],
      buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    this.podsCreated = new Counter({
      name: 'lemur_sandbox_pods_created_total',
      help: 'Sandbox pods created to fill the warm pool.',
      labelNames: ['template'],
      registers: [registry],
    });
    this.podsDeleted = new Counter({
      name: 'lemur_sandbox_pods_deleted_total',
      help: 'Sandbox pods deleted, by why (released, expired, orphaned, failed).',
      labelNames: ['template', 'reason'],
      registers: [registry],
    });
  }
}
