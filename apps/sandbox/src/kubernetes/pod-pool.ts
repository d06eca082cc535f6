import {
  SANDBOX_CLAIMED_BY_ANNOTATION,
  SANDBOX_EXPIRES_ANNOTATION,
  SANDBOX_POD_LABELS,
  expiresAt,
  isSandboxPodExpired,
  isSandboxPodFinished,
  isSandboxPodReady,
  renderSandboxPod,
  sandboxPodState,
  sandboxPoolSelector,
  teamLabelValue,
  type SandboxPodOwner,
  type SandboxPodTemplate,
} from '@lemur/sandbox-policy';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { Informer, isConflict, isNotFound, PODS, type IPod, type KubeClient } from '@lemur/shared-k8s';
import type { Logger } from '@lemur/shared-logging';
import type { KubernetesSandboxMetrics } from './kubernetes.metrics';

/** A pod this replica claimed: it runs one program or session, then is deleted. */
export interface ClaimedPod {
  name: string;
  podIP: string;
}

export interface PodPoolOptions {
  client: KubeClient;
  namespace: string;
  template: SandboxPodTemplate;
  pool: string;
  size: number;
  owner: SandboxPodOwner | null;
  runnerEnv: Readonly<Record<string, string>>;
  /** Absolute paths each pod gets a memory-backed emptyDir at (SANDBOX_SCRATCH_DIRS). */
  scratchDirs?: readonly string[];
  replica: string;
  claimTimeoutMs: number;
  claimTtlMs: number;
  metrics: KubernetesSandboxMetrics;
  logger: Logger;
}

const RETRY_CREATE_MS = 2_000;

/**
 * Keeps `size` unclaimed pods of one template (seen through an informer on the pool labels) and hands them out.
 * A claim is a label patch carrying the cached resourceVersion as a precondition, so of two replicas (or two calls)
 * racing for one pod exactly one wins and the other gets 409 and tries the next pod. Claimed pods leave the pool at
 * once (the informer sees the label), which starts their replacement; a released pod is deleted, never reused.
 */
export class PodPool {
  private readonly informer: Informer<IPod>;
  /** Names created by this replica that the informer has not shown yet (counted, so a refill does not overshoot). */
  private readonly expected = new Set<string>();
  /** Pods this replica is claiming right now (skipped by its other claims). */
  private readonly reserved = new Set<string>();
  private readonly waiters = new Set<() => void>();
  private creating = 0;
  /** Claims waiting for a pod: each one raises the target, so a burst (or a pool of size 0) gets pods on demand. */
  private waiting = 0;
  private changes = 0;
  private reconcileQueued = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly opts: PodPoolOptions) {
    this.informer = new Informer<IPod>(opts.client, PODS, {
      namespace: opts.namespace,
      labelSelector: sandboxPoolSelector(opts.template.name, opts.pool),
      logger: opts.logger,
    });
  }

  /** Starts watching and filling the pool; resolves after the first list (not when the pods are Ready). */
  async start(): Promise<void> {
    this.informer.on((event) => {
      this.expected.delete(event.object.metadata?.name ?? '');
      this.changes++;
      for (const wake of [...this.waiters]) wake();
      this.scheduleReconcile();
    });
    await this.informer.start();
    this.scheduleReconcile();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    for (const wake of [...this.waiters]) wake();
    await this.informer.stop();
  }

  /** Unclaimed pods of this pool that answer now. */
  readyPods(): IPod[] {
    return this.unclaimed().filter(isSandboxPodReady);
  }

  /**
   * Claims a Ready pod, waiting up to the claim timeout for one. `team` (hashed) labels the pod, for operators and
   * quotas; the pod is never handed to anyone else either way.
   */
  async claim(team: string | null): Promise<ClaimedPod> {
    const started = performance.now();
    const deadline = Date.now() + this.opts.claimTimeoutMs;
    const template = this.opts.template.name;
    for (;;) {
      if (this.stopped) throw new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, 'the sandbox service is shutting down');
      const seen = this.changes;
      for (const pod of this.claimable()) {
        const name = pod.metadata?.name ?? '';
        this.reserved.add(name);
        try {
          const claimed = await this.patchClaim(pod, team);
          this.opts.metrics.claimWait.observe({ template, outcome: 'claimed' }, (performance.now() - started) / 1000);
          this.scheduleReconcile();
          return { name, podIP: claimed.status?.podIP ?? pod.status?.podIP ?? '' };
        } catch (err) {
          this.reserved.delete(name);
          // Another replica took it, or it changed or went since the cache saw it: try the next one.
          if (isConflict(err) || isNotFound(err)) continue;
          throw err;
        }
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.opts.metrics.claimWait.observe({ template, outcome: 'timeout' }, (performance.now() - started) / 1000);
        throw new PlatformError(
          PlatformErrorCode.RESOURCE_EXHAUSTED,
          `no Ready sandbox pod (template ${template}) within ${this.opts.claimTimeoutMs} ms; raise SANDBOX_K8S_POOL_SIZE, or check the pods with kubectl get pods -n ${this.opts.namespace} -l ${SANDBOX_POD_LABELS.template}=${template}`,
        );
      }
      // Events that arrived during the attempts count: wait only when nothing changed since this pass began.
      if (this.changes === seen) await this.waitForPod(left);
    }
  }

  private async waitForPod(ms: number): Promise<void> {
    this.waiting++;
    this.scheduleReconcile();
    try {
      await this.waitForChange(ms);
    } finally {
      this.waiting--;
    }
  }

  /** Pushes a claimed pod's TTL out by another claim TTL (a long session must not be swept as a crashed claim). */
  async renew(name: string): Promise<void> {
    await this.opts.client.patch(
      PODS,
      name,
      { metadata: { annotations: { [SANDBOX_EXPIRES_ANNOTATION]: expiresAt(new Date(), Math.ceil(this.opts.claimTtlMs / 1000)) } } },
      { namespace: this.opts.namespace },
    );
  }

  /** Deletes a claimed pod (its runner served once, for one team). */
  async release(name: string): Promise<void> {
    try {
      await this.opts.client.delete(PODS, name, this.opts.namespace);
      this.opts.metrics.podsDeleted.inc({ template: this.opts.template.name, reason: 'released' });
    } finally {
      this.reserved.delete(name);
    }
  }

  private patchClaim(pod: IPod, team: string | null): Promise<IPod> {
    return this.opts.client.patch(
      PODS,
      pod.metadata?.name ?? '',
      {
        metadata: {
          // The precondition: the patch fails with 409 if anyone (another replica's claim included) changed the pod.
          resourceVersion: pod.metadata?.resourceVersion,
          labels: { [SANDBOX_POD_LABELS.state]: 'claimed', ...(team !== null ? { [SANDBOX_POD_LABELS.team]: teamLabelValue(team) } : {}) },
          annotations: {
            [SANDBOX_EXPIRES_ANNOTATION]: expiresAt(new Date(), Math.ceil(this.opts.claimTtlMs / 1000)),
            [SANDBOX_CLAIMED_BY_ANNOTATION]: this.opts.replica,
          },
        },
      },
      { namespace: this.opts.namespace },
    );
  }

  private owned(pod: IPod): boolean {
    return this.opts.owner === null || (pod.metadata?.ownerReferences ?? []).some((r) => r.uid === this.opts.owner?.uid);
  }

  private unclaimed(): IPod[] {
    const now = new Date();
    return this.informer
      .list()
      .filter((p) => sandboxPodState(p) === 'pool' && !p.metadata?.deletionTimestamp && !isSandboxPodFinished(p) && !isSandboxPodExpired(p, now) && this.owned(p));
  }

  // Oldest first: they are the likeliest to be Ready and the closest to their TTL.
  private claimable(): IPod[] {
    return this.readyPods()
      .filter((p) => !this.reserved.has(p.metadata?.name ?? ''))
      .sort((a, b) => String(a.metadata?.creationTimestamp ?? '').localeCompare(String(b.metadata?.creationTimestamp ?? '')));
  }

  private waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private scheduleReconcile(): void {
    if (this.reconcileQueued || this.stopped) return;
    this.reconcileQueued = true;
    setImmediate(() => {
      this.reconcileQueued = false;
      this.reconcile().catch((err: unknown) => this.opts.logger.error({ err }, 'cannot reconcile the sandbox pod pool'));
    });
  }

  private async reconcile(): Promise<void> {
    if (this.stopped) return;
    const template = this.opts.template.name;
    const all = this.informer.list().filter((p) => this.owned(p));
    const unclaimed = this.unclaimed();
    const ready = unclaimed.filter(isSandboxPodReady).length;
    this.opts.metrics.pods.set({ template, state: 'ready' }, ready);
    this.opts.metrics.pods.set({ template, state: 'starting' }, unclaimed.length - ready + this.expected.size);
    this.opts.metrics.pods.set({ template, state: 'claimed' }, all.filter((p) => sandboxPodState(p) === 'claimed').length);

    // A warm pod whose runner exited can never serve: delete it so a fresh one replaces it.
    for (const pod of all) {
      if (sandboxPodState(pod) === 'pool' && isSandboxPodFinished(pod) && !pod.metadata?.deletionTimestamp) {
        this.opts.logger.warn({ pod: pod.metadata?.name, phase: pod.status?.phase }, 'warm sandbox pod exited; replacing it');
        await this.opts.client.delete(PODS, pod.metadata?.name ?? '', this.opts.namespace);
        this.opts.metrics.podsDeleted.inc({ template, reason: 'failed' });
      }
    }

    const missing = this.opts.size + this.waiting - unclaimed.length - this.expected.size - this.creating;
    if (missing <= 0) return;
    this.creating += missing;
    const results = await Promise.allSettled(Array.from({ length: missing }, () => this.createPod()));
    this.creating -= missing;
    const failed = results.filter((r) => r.status === 'rejected');
    if (failed.length > 0) {
      this.opts.logger.error({ err: (failed[0] as PromiseRejectedResult).reason, failed: failed.length }, 'cannot create sandbox pods; retrying');
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.scheduleReconcile(), RETRY_CREATE_MS);
    }
  }

  private async createPod(): Promise<void> {
    const pod = renderSandboxPod({
      template: this.opts.template,
      namespace: this.opts.namespace,
      pool: this.opts.pool,
      owner: this.opts.owner,
      runnerEnv: this.opts.runnerEnv,
      ...(this.opts.scratchDirs ? { scratchDirs: this.opts.scratchDirs } : {}),
      now: new Date(),
    });
    const created = await this.opts.client.create(PODS, pod);
    const name = created.metadata?.name ?? '';
    // The informer may have shown it already; only names it has not seen stay expected.
    if (!this.informer.get(name, this.opts.namespace)) this.expected.add(name);
    this.opts.metrics.podsCreated.inc({ template: this.opts.template.name });
  }
}
