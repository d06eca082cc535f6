import { SANDBOX_POD_LABELS, SANDBOX_POD_SELECTOR, isSandboxPodExpired, isSandboxPodFinished } from '@lemur/sandbox-policy';
import { DEPLOYMENTS, PODS, customResource, type IPod, type KubeClient, type KubeObject, type ResourceRef } from '@lemur/shared-k8s';
import type { Logger } from '@lemur/shared-logging';
import type { KubernetesSandboxMetrics } from './kubernetes.metrics';

// Kinds an owner reference may name (those the service can be configured with); others are never judged gone.
const OWNER_KINDS: Record<string, ResourceRef> = {
  'v1/Pod': PODS,
  'apps/v1/Deployment': DEPLOYMENTS,
  'apps/v1/StatefulSet': customResource('apps', 'v1', 'StatefulSet', 'statefulsets'),
  'apps/v1/ReplicaSet': customResource('apps', 'v1', 'ReplicaSet', 'replicasets'),
};

/** What one sweep deleted, by reason. */
export interface SweepResult {
  expired: string[];
  orphaned: string[];
  finished: string[];
}

/**
 * Deletes sandbox pods nobody will use: past their TTL annotation (a warm pod never claimed, or a claim whose replica
 * crashed mid-run), whose runner exited, or whose owner is gone or was re-created (a new uid). The cluster's garbage
 * collector normally removes pods of a deleted owner too; the sweeper covers clusters and moments where it has not.
 * Every replica sweeps; deletes are idempotent.
 */
export class PodSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepResult> | null = null;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly intervalMs: number,
    private readonly metrics: KubernetesSandboxMetrics,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.logger.error({ err }, 'sandbox pod sweep failed'));
    }, this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass over every sandbox pod of the namespace (one at a time: a pass is never run twice at once). */
  sweep(): Promise<SweepResult> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<SweepResult> {
    const result: SweepResult = { expired: [], orphaned: [], finished: [] };
    const { items } = await this.client.list(PODS, { namespace: this.namespace, labelSelector: SANDBOX_POD_SELECTOR });
    const owners = new Map<string, Promise<boolean>>();
    const now = new Date();
    for (const pod of items) {
      if (pod.metadata?.deletionTimestamp) continue;
      const reason = isSandboxPodExpired(pod, now) ? 'expired' : isSandboxPodFinished(pod) ? 'finished' : (await this.ownerGone(pod, owners)) ? 'orphaned' : null;
      if (reason === null) continue;
      const name = pod.metadata?.name ?? '';
      if (await this.client.delete(PODS, name, this.namespace)) {
        result[reason].push(name);
        this.metrics.podsDeleted.inc({ template: pod.metadata?.labels?.[SANDBOX_POD_LABELS.template] ?? '', reason });
        this.logger.info({ pod: name, reason }, 'swept sandbox pod');
      }
    }
    return result;
  }

  private async ownerGone(pod: IPod, cache: Map<string, Promise<boolean>>): Promise<boolean> {
    for (const ref of pod.metadata?.ownerReferences ?? []) {
      const kind = OWNER_KINDS[`${ref.apiVersion}/${ref.kind}`];
      if (kind === undefined) continue;
      const key = `${ref.apiVersion}/${ref.kind}/${ref.name}/${ref.uid}`;
      let alive = cache.get(key);
      if (alive === undefined) {
        alive = this.client.find<KubeObject>(kind, ref.name, this.namespace).then((owner) => owner?.metadata?.uid === ref.uid);
        cache.set(key, alive);
      }
      if (!(await alive)) return true;
    }
    return false;
  }
}
