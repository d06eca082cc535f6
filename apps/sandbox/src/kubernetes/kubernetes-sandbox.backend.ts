import { sandboxV1 } from '@lemur/proto';
import {
  renderSandboxNetworkPolicy,
  resolveSandboxLimits,
  type ExecResult,
  type SandboxLanguage,
  type SandboxLimitPolicy,
  type SandboxLimits,
  type SandboxPodOwner,
} from '@lemur/sandbox-policy';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { createGrpcClient, type GrpcClient } from '@lemur/shared-grpc';
import { createKubeConfig, customResource, KubeClient, NETWORK_POLICIES, type KubeObject } from '@lemur/shared-k8s';
import type { Logger } from '@lemur/shared-logging';
import type { KubernetesBackendConfig } from '../config/sandbox.config';
import type { ExecBackend, SandboxBackendDescription } from '../execute/sandbox-backend';
import type { ExecRequest } from '../local';
import type { SessionBackend } from '../session';
import { KubernetesSandboxSession } from './kubernetes-session';
import type { KubernetesSandboxMetrics } from './kubernetes.metrics';
import { PodPool, type ClaimedPod } from './pod-pool';
import { PodSweeper } from './pod-sweeper';
import { fromExecuteResponse, wireLanguage, wireLimits } from './runner-wire';

/** Room for the runner's own work around a program's wall time (workspace set-up, reading files back). */
const RUN_MARGIN_MS = 15_000;
const SESSION_START_TIMEOUT_MS = 30_000;

type RunnerClient = GrpcClient<(typeof sandboxV1.SandboxService)['method']>;

/**
 * Runs programs and sessions in sandbox pods: claims a warm pod, drives its runner (the sandbox app in runner mode)
 * over gRPC at podIP:port, and deletes the pod afterwards, so no pod ever serves two runs or two teams.
 */
export class KubernetesSandboxBackend implements ExecBackend, SessionBackend {
  readonly name = 'kubernetes';
  private readonly releases = new Set<Promise<void>>();

  private constructor(
    private readonly config: KubernetesBackendConfig,
    private readonly policy: SandboxLimitPolicy,
    private readonly pool: PodPool,
    readonly sweeper: PodSweeper,
    private readonly logger: Logger,
  ) {}

  /**
   * Connects to the API server, looks up the owner (its uid goes into every pod's ownerReference), ensures the
   * NetworkPolicy, and starts the warm pool and the sweeper. Fails fast when the owner or the namespace is missing.
   */
  static async start(opts: { config: KubernetesBackendConfig; policy: SandboxLimitPolicy; metrics: KubernetesSandboxMetrics; logger: Logger }): Promise<KubernetesSandboxBackend> {
    const { config, logger } = opts;
    const client = new KubeClient(
      createKubeConfig({
        ...(config.server ? { server: config.server } : {}),
        ...(config.token ? { token: config.token } : {}),
        ...(config.kubeconfigPath ? { kubeconfigPath: config.kubeconfigPath } : {}),
        inCluster: config.inCluster,
      }),
    );
    const owner = config.owner ? await resolveOwner(client, config.owner, config.namespace) : null;
    await client.createOrUpdate(
      NETWORK_POLICIES,
      renderSandboxNetworkPolicy({
        template: config.template,
        namespace: config.namespace,
        peer: { podLabels: config.serviceLabels, ...(config.serviceNamespace ? { namespace: config.serviceNamespace } : {}) },
      }),
    );
    const pool = new PodPool({
      client,
      namespace: config.namespace,
      template: config.template,
      pool: config.pool,
      size: config.poolSize,
      owner,
      // The runner enforces the same policy the service validated against; nothing secret goes into a pod.
      runnerEnv: {
        SANDBOX_LIMIT_DEFAULTS: JSON.stringify(opts.policy.defaults),
        SANDBOX_LIMIT_MAXIMA: JSON.stringify(opts.policy.maxima),
        SANDBOX_SESSION_POOL_SIZE: '0',
      },
      ...(config.scratchDirs ? { scratchDirs: config.scratchDirs } : {}),
      replica: config.replica,
      claimTimeoutMs: config.claimTimeoutMs,
      claimTtlMs: config.claimTtlMs,
      metrics: opts.metrics,
      logger: logger.child({ context: 'PodPool' }),
    });
    await pool.start();
    const sweeper = new PodSweeper(client, config.namespace, config.sweepIntervalMs, opts.metrics, logger.child({ context: 'PodSweeper' }));
    sweeper.start();
    logger.info({ namespace: config.namespace, template: config.template.name, poolSize: config.poolSize, owner: owner?.name }, 'kubernetes sandbox backend ready');
    return new KubernetesSandboxBackend(config, opts.policy, pool, sweeper, logger);
  }

  resolveLimits(requested?: Partial<SandboxLimits>): SandboxLimits {
    return resolveSandboxLimits(requested, this.policy);
  }

  describe(): SandboxBackendDescription {
    const t = this.config.template;
    return {
      backend: 'kubernetes',
      cgroup: 'pod',
      // RuntimeDefault seccomp is part of every pod spec.
      seccomp: true,
      user: String(t.runAsUser),
      isolation: `pod (runtimeClass ${t.runtimeClassName || 'cluster default'}, template ${t.name})`,
    };
  }

  /** Unclaimed Ready pods now (for health and tests). */
  readyPods(): number {
    return this.pool.readyPods().length;
  }

  async execute(req: ExecRequest): Promise<ExecResult> {
    // Invalid limits are the caller's error: reject them before taking a pod.
    const limits = this.resolveLimits(req.limits);
    const pod = await this.pool.claim(req.team ?? null);
    const runner = this.connect(pod);
    try {
      const answer = await runner.execute(
        {
          language: wireLanguage(req.language),
          code: req.code,
          ...(req.stdin !== undefined ? { stdin: req.stdin } : {}),
          files: (req.files ?? []).map((f) => ({ path: f.path, content: typeof f.content === 'string' ? new TextEncoder().encode(f.content) : f.content })),
          limits: wireLimits(limits),
          readFiles: [...(req.readFiles ?? [])],
        },
        { deadlineMs: limits.wallMs + RUN_MARGIN_MS, ...(req.signal ? { signal: req.signal } : {}) },
      );
      return fromExecuteResponse(answer);
    } catch (err) {
      throw runnerError(err, pod);
    } finally {
      runner.close();
      this.releaseInBackground(pod);
    }
  }

  async startSession(spec: { language: SandboxLanguage; limits: SandboxLimits }): Promise<KubernetesSandboxSession> {
    const pod = await this.pool.claim(null);
    const runner = this.connect(pod);
    try {
      const { sessionId } = await runner.createSession(
        { language: wireLanguage(spec.language), limits: wireLimits(spec.limits) },
        { deadlineMs: SESSION_START_TIMEOUT_MS },
      );
      return new KubernetesSandboxSession(spec.language, spec.limits, runner, sessionId, {
        release: () => this.pool.release(pod.name),
        renew: () => this.pool.renew(pod.name),
        claimTtlMs: this.config.claimTtlMs,
      });
    } catch (err) {
      runner.close();
      this.releaseInBackground(pod);
      throw runnerError(err, pod);
    }
  }

  /** Stops the pool and the sweeper and waits for pending deletes (claimed pods of open sessions go with them). */
  async dispose(): Promise<void> {
    await this.sweeper.stop();
    await this.pool.stop();
    await Promise.all([...this.releases]);
  }

  private connect(pod: ClaimedPod): RunnerClient {
    const host = pod.podIP.includes(':') ? `[${pod.podIP}]` : pod.podIP;
    return createGrpcClient(sandboxV1.SandboxService, `${host}:${this.config.template.runnerPort}`, { defaultDeadlineMs: SESSION_START_TIMEOUT_MS });
  }

  // The caller has its result; the pod's deletion need not delay it. A failed delete is left to the sweeper (TTL).
  private releaseInBackground(pod: ClaimedPod): void {
    const p = this.pool
      .release(pod.name)
      .catch((err: unknown) => this.logger.error({ err, pod: pod.name }, 'cannot delete a used sandbox pod; the sweeper will at its TTL'))
      .finally(() => this.releases.delete(p));
    this.releases.add(p);
  }
}

async function resolveOwner(client: KubeClient, owner: NonNullable<KubernetesBackendConfig['owner']>, namespace: string): Promise<SandboxPodOwner> {
  const [group, version] = owner.apiVersion.includes('/') ? owner.apiVersion.split('/') : ['', owner.apiVersion];
  const ref = customResource<KubeObject>(group ?? '', version ?? 'v1', owner.kind, `${owner.kind.toLowerCase()}s`);
  const found = await client.find(ref, owner.name, namespace);
  const uid = found?.metadata?.uid;
  if (!uid) {
    throw new PlatformError(
      PlatformErrorCode.SANDBOX_UNAVAILABLE,
      `the owner of the sandbox pods, ${owner.kind} ${namespace}/${owner.name}, does not exist; set SANDBOX_K8S_OWNER to the service's own Deployment or Pod (same namespace as the sandboxes)`,
    );
  }
  return { ...owner, uid };
}

// The caller's own errors the runner reported keep their code; anything else means the runner (or its pod) is gone.
const CALLER_ERRORS: readonly PlatformErrorCode[] = [PlatformErrorCode.INVALID_ARGUMENT, PlatformErrorCode.RESOURCE_EXHAUSTED, PlatformErrorCode.SESSION_NOT_FOUND];

function runnerError(err: unknown, pod: ClaimedPod): unknown {
  if (err instanceof PlatformError && CALLER_ERRORS.includes(err.code)) return err;
  return new PlatformError(
    PlatformErrorCode.UPSTREAM_FAILED,
    `the runner in sandbox pod ${pod.name} stopped answering (the program may have killed it, or the pod was evicted); the pod is deleted, retry the run`,
    { cause: err },
  );
}
