import {
  ANNOTATIONS,
  type AutoscalePolicy,
  type AutoscalerState,
  computeStatus,
  decideReplicas,
  initialAutoscalerState,
  LABELS,
  type LemurModel,
  type LemurModelStatus,
  MANAGED_BY,
  readyEndpointUrls,
  renderDeployment,
  renderService,
  type ResolvedSpec,
  resolveSpec,
  SERVICE_NAME_LABEL,
  servingIdentity,
  specProblem,
  workloadName,
} from '@lemur/model-serving';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import {
  DEPLOYMENTS,
  ENDPOINT_SLICES,
  type IDeployment,
  type IEndpointSlice,
  Informer,
  type IPod,
  isConflict,
  type IService,
  type KubeClient,
  PODS,
  SERVICES,
} from '@lemur/shared-k8s';
import type { Logger } from '@lemur/shared-logging';
import type { ModelRegistry, ModelSpec } from '../registry/model-registry';
import { type KubernetesMetrics } from './kubernetes.metrics';
import { LEMUR_MODELS } from './lemur-model.resource';
import { type ModelActivity, withRequestActivity } from './model-activity.tracker';
import { type ReplicaLoadReader } from './replica-load.reader';

export interface LemurModelControllerOptions {
  namespace: string;
  /** How often replicas' load is read and replica counts decided. */
  autoscaleIntervalMs: number;
  /** How long a request for a scaled-to-zero model waits for a ready replica. */
  coldStartTimeoutMs: number;
  /** First retry delay of a failed reconcile (doubles up to a minute). Default 1 s. */
  retryBaseMs?: number;
  /**
   * Least time between two writes of a model's last-request annotation by one replica. Default 30 s: far below any
   * sensible scale-to-zero idle time, and one write per model per replica per interval however busy the model is.
   */
  activityPublishIntervalMs?: number;
}

/** Waits for a model with no ready replica to get one (scale from zero); what GenerateService calls when it finds none. */
export interface ColdStart {
  waitForReplica(model: string, signal: AbortSignal): Promise<void>;
}

/** One model's replica count as this process decides it. */
export interface ScaleState {
  desired: number;
  autoscaler: AutoscalerState;
  lastScaleTime?: string;
  /** The replica count this leader last saw itself write; a Deployment at more than zero when this is 0 was woken by another replica. */
  written?: number;
}

const timestampNow = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** JSON with sorted keys: statuses read back from the API server need not keep our key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

function autoscalePolicy(spec: ResolvedSpec): AutoscalePolicy {
  return {
    minReplicas: spec.minReplicas,
    maxReplicas: spec.maxReplicas,
    targetWaitingPerReplica: spec.autoscaling.targetWaitingPerReplica,
    targetRunningPerReplica: spec.autoscaling.targetRunningPerReplica,
    targetKvCacheUsage: spec.autoscaling.targetKvCacheUsage,
    scaleDownStabilizationMs: spec.autoscaling.scaleDownStabilizationSeconds * 1000,
    scaleToZeroAfterMs: spec.autoscaling.scaleToZeroAfterSeconds * 1000,
  };
}

/**
 * Where a model's replica count starts when this process first sees the model. A Deployment that already exists (this
 * service restarted, as on every helm upgrade) keeps its count within the bounds and counts as active now: starting
 * from minReplicas would scale a serving model down, and one woken from zero back to zero. Its count also stands as a
 * recommendation made now, so a scale-down still waits out a whole stabilization window, as it would have before.
 */
export function adoptedScale(spec: Pick<ResolvedSpec, 'minReplicas' | 'maxReplicas'>, existing: IDeployment | undefined, lastScaleTime: string | undefined, now: number): ScaleState {
  const replicas = existing?.spec?.replicas;
  if (replicas === undefined) return { desired: spec.minReplicas, autoscaler: initialAutoscalerState(now) };
  const desired = Math.min(spec.maxReplicas, Math.max(spec.minReplicas, replicas));
  return {
    desired,
    autoscaler: { recommendations: [{ at: now, replicas: desired }], lastActivityAt: now },
    ...(lastScaleTime ? { lastScaleTime } : {}),
  };
}

/** The LemurModel's last-request annotation as epoch ms, undefined when absent or unreadable. */
export function annotatedRequestAt(lemurModel: LemurModel | undefined): number | undefined {
  const at = Date.parse(lemurModel?.metadata?.annotations?.[ANNOTATIONS.lastRequestAt] ?? '');
  return Number.isNaN(at) ? undefined : at;
}

function latest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

/**
 * A LemurModel's router entry. Its revision is the serving identity, which keys cached answers and is what eval runs
 * record; a branch or tag revision is served uncached, since the weights behind it can change.
 */
export function registryEntry(spec: ResolvedSpec, endpoints: string[]): ModelSpec {
  const { identity, unpinned } = servingIdentity(spec);
  return {
    name: spec.modelName,
    servedModelName: spec.modelName,
    chat: spec.chat,
    kind: 'openai',
    routingPolicy: spec.routing.policy,
    revision: identity,
    ...(unpinned ? { cacheOff: unpinned } : {}),
    endpoints,
  };
}

/** Our fields of a Deployment: no write when the rendered spec (by hash), the replica count and the owner are unchanged. */
function mergeDeployment(current: IDeployment, desired: IDeployment): IDeployment {
  const same =
    current.metadata?.annotations?.[ANNOTATIONS.specHash] === desired.metadata?.annotations?.[ANNOTATIONS.specHash] &&
    current.spec?.replicas === desired.spec?.replicas &&
    canonical(current.metadata?.ownerReferences) === canonical(desired.metadata?.ownerReferences) &&
    canonical(current.metadata?.labels) === canonical(desired.metadata?.labels);
  if (same) return current;
  return {
    ...current,
    metadata: {
      ...current.metadata,
      labels: desired.metadata?.labels,
      annotations: { ...current.metadata?.annotations, ...desired.metadata?.annotations },
      ownerReferences: desired.metadata?.ownerReferences,
    },
    spec: desired.spec,
  };
}

/** Our fields of a Service; the cluster IP and other allocated fields stay as the API server set them. */
function mergeService(current: IService, desired: IService): IService {
  return {
    ...current,
    metadata: { ...current.metadata, labels: desired.metadata?.labels, annotations: { ...current.metadata?.annotations, ...desired.metadata?.annotations }, ownerReferences: desired.metadata?.ownerReferences },
    spec: { ...current.spec, type: desired.spec?.type, selector: desired.spec?.selector, ports: desired.spec?.ports, publishNotReadyAddresses: desired.spec?.publishNotReadyAddresses },
  };
}

/**
 * The inference service as a Kubernetes controller: watches LemurModels in one namespace and, for each, keeps a
 * Deployment and a Service (owned by the LemurModel, so deleting it removes them), registers the model with the
 * router, feeds it the ready endpoints from the Service's EndpointSlices (by watch), writes status conditions from
 * the Deployment and its Pods, and sets the replica count from the replicas' engine load (and from zero on demand).
 * Every input is an informer; every change enqueues the model, and a model is reconciled by one worker at a time.
 *
 * Every inference replica runs one, but only the leader (see LeaderElector) writes Deployments, Services and status
 * and autoscales; the others only route. A non-leader still wakes a model at zero (a conditional patch of the
 * Deployment's replicas from 0 to 1) and publishes its requests as the LemurModel's last-request annotation, which
 * the leader's idle clock reads beside its own requests.
 */
export class LemurModelController implements ColdStart {
  private readonly lemurModels: Informer<LemurModel>;
  private readonly deployments: Informer<IDeployment>;
  private readonly pods: Informer<IPod>;
  private readonly slices: Informer<IEndpointSlice>;
  private readonly queue = new Set<string>();
  private worker: Promise<void> | undefined;
  /** LemurModel name → model name it registered (so a rename or deletion unregisters the old one). */
  private readonly served = new Map<string, string>();
  private readonly scaling = new Map<string, ScaleState>();
  /** Service name → ready endpoint URLs. */
  private readonly endpoints = new Map<string, string[]>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly retries = new Map<string, { attempts: number; timer: NodeJS.Timeout }>();
  private readonly staticModels: Set<string>;
  private autoscaleTimer: NodeJS.Timeout | undefined;
  private autoscaling: Promise<void> | undefined;
  private stopped = false;
  private leading = false;
  /** LemurModel name → the last-request time this replica wrote to its annotation. */
  private readonly published = new Map<string, number>();

  constructor(
    private readonly client: KubeClient,
    private readonly registry: ModelRegistry,
    private readonly loads: ReplicaLoadReader,
    private readonly options: LemurModelControllerOptions,
    private readonly logger: Logger,
    private readonly metrics: KubernetesMetrics,
    /** Requests per model as GenerateService saw them: the idle clock for scaling to zero, beside the engines' gauges. */
    private readonly activity?: ModelActivity,
  ) {
    const { namespace } = options;
    const informerOptions = { namespace, logger };
    const managed = `${LABELS.managedBy}=${MANAGED_BY}`;
    this.lemurModels = new Informer(client, LEMUR_MODELS, informerOptions);
    this.deployments = new Informer(client, DEPLOYMENTS, { ...informerOptions, labelSelector: managed });
    this.pods = new Informer(client, PODS, { ...informerOptions, labelSelector: managed });
    this.slices = new Informer(client, ENDPOINT_SLICES, { ...informerOptions, labelSelector: SERVICE_NAME_LABEL });
    // Models from the static registry file keep their names; a LemurModel cannot take one over.
    this.staticModels = new Set(registry.list().map((m) => m.name));
  }

  async start(): Promise<void> {
    this.slices.on((e) => this.onSlice(e.object));
    this.lemurModels.on((e) => this.enqueue(e.object.metadata?.name));
    this.deployments.on((e) => {
      const owner = e.object.metadata?.ownerReferences?.find((r) => r.kind === 'LemurModel')?.name;
      this.enqueue(owner);
      // The leader may have scaled the model to zero just as a request here woke it: wake it again while one waits.
      if (e.type !== 'delete' && owner && !this.leading && e.object.spec?.replicas === 0 && this.waiters.get(this.served.get(owner) ?? '')?.size) void this.wakeFromZero(owner, e.object);
    });
    this.pods.on((e) => this.enqueue(this.lemurModelOfWorkload(e.object.metadata?.labels?.[LABELS.instance])));
    // Endpoints and workloads first, so the first reconcile of each model sees them.
    await Promise.all([this.slices.start(), this.deployments.start(), this.pods.start()]);
    await this.lemurModels.start();
    this.autoscaleTimer = setInterval(() => {
      this.autoscaling ??= this.publishActivity()
        .then(() => this.autoscaleOnce())
        .finally(() => (this.autoscaling = undefined));
    }, this.options.autoscaleIntervalMs);
    this.autoscaleTimer.unref();
    this.logger.info({ namespace: this.options.namespace, models: this.lemurModels.list().length }, 'watching LemurModels');
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.autoscaleTimer);
    for (const { timer } of this.retries.values()) clearTimeout(timer);
    await Promise.all([this.lemurModels.stop(), this.deployments.stop(), this.pods.stop(), this.slices.stop()]);
    await this.worker;
    await this.autoscaling;
  }

  /**
   * Called by the leader elector. A new leader forgets every replica count it held and reconciles every LemurModel,
   * adopting the Deployments as they stand (as after a restart): the previous leader may have scaled them since.
   */
  setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.scaling.clear();
    if (!leading) {
      for (const model of this.served.values()) {
        this.metrics.desiredReplicas.remove({ model });
        this.metrics.recommendedReplicas.remove({ model });
      }
      return;
    }
    for (const lemurModel of this.lemurModels.list()) this.enqueue(lemurModel.metadata?.name);
  }

  /** Scale from zero: asks for one replica if the model has none and waits (bounded) until one is ready. */
  async waitForReplica(model: string, signal: AbortSignal): Promise<void> {
    const lemurModel = [...this.served].find(([, name]) => name === model)?.[0];
    if (lemurModel === undefined || this.urlsOf(lemurModel).length > 0) return;
    const started = Date.now();
    const scale = this.leading ? this.scaling.get(lemurModel) : undefined;
    if (!this.leading) {
      const deployment = this.deployments.get(workloadName(lemurModel), this.options.namespace);
      if (deployment?.spec?.replicas === 0) await this.wakeFromZero(lemurModel, deployment);
    } else if (scale) {
      scale.autoscaler = { ...scale.autoscaler, lastActivityAt: started };
      if (scale.desired === 0) {
        this.setDesired(lemurModel, model, scale, 1, 'a request arrived for a model scaled to zero');
        this.metrics.scaleEvents.inc({ model, direction: 'from_zero' });
      }
    }
    const timeoutMs = this.options.coldStartTimeoutMs;
    const outcome = await new Promise<'ready' | 'timeout' | 'cancelled'>((resolve) => {
      const waiters = this.waiters.get(model) ?? new Set<() => void>();
      this.waiters.set(model, waiters);
      const finish = (result: 'ready' | 'timeout' | 'cancelled'): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        waiters.delete(onReady);
        resolve(result);
      };
      const onReady = (): void => finish('ready');
      const onAbort = (): void => finish('cancelled');
      // Unref'd: a request still waiting must not keep a stopping process alive.
      const timer = setTimeout(() => finish('timeout'), timeoutMs).unref();
      waiters.add(onReady);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
    });
    this.metrics.coldStartWait.observe({ model, outcome }, (Date.now() - started) / 1000);
    if (outcome === 'timeout') {
      throw new PlatformError(
        PlatformErrorCode.NO_READY_ENDPOINT,
        `model "${model}" has no ready replica: waited ${Math.round(timeoutMs / 1000)} s for one to start (LemurModel ${this.options.namespace}/${lemurModel}); ` +
          `loading weights can take many minutes, retry later or see "kubectl describe lemurmodel -n ${this.options.namespace} ${lemurModel}"`,
      );
    }
    if (outcome === 'cancelled') throw new PlatformError(PlatformErrorCode.CANCELLED, `cancelled while waiting for a replica of model "${model}" to start`);
  }

  /**
   * A non-leader's scale from zero: replicas 0 → 1 on the Deployment as this replica last saw it. The resourceVersion
   * makes the patch conditional, so it never undoes another writer's change: a 409 means the Deployment moved on
   * (woken already, or scaled by the leader), and the Deployment watch calls this again if it is back at zero.
   */
  private async wakeFromZero(lemurModel: string, deployment: IDeployment): Promise<void> {
    const model = this.served.get(lemurModel);
    try {
      await this.client.patch(DEPLOYMENTS, workloadName(lemurModel), { metadata: { resourceVersion: deployment.metadata?.resourceVersion }, spec: { replicas: 1 } }, { namespace: this.options.namespace });
      this.logger.info({ lemurModel, model, from: 0, to: 1, reason: 'a request arrived for a model scaled to zero' }, 'woke model from zero');
      if (model) this.metrics.scaleEvents.inc({ model, direction: 'from_zero' });
    } catch (err) {
      if (!isConflict(err)) this.logger.warn({ lemurModel, model, err }, 'could not wake model from zero; the request times out unless another replica wakes it');
    }
  }

  /**
   * Writes each served model's latest request on this replica to its LemurModel's last-request annotation, when it is
   * at least the publish interval newer than what the annotation holds: the leader cannot see other replicas' requests.
   */
  async publishActivity(now = Date.now()): Promise<void> {
    const interval = this.options.activityPublishIntervalMs ?? 30_000;
    for (const [name, model] of this.served) {
      const last = this.activity?.lastActivityAt(model, now);
      if (last === undefined) continue;
      const annotated = annotatedRequestAt(this.lemurModels.get(name, this.options.namespace));
      const known = Math.max(annotated ?? -Infinity, this.published.get(name) ?? -Infinity);
      if (last - known < interval) continue;
      try {
        await this.client.patch(LEMUR_MODELS, name, { metadata: { annotations: { [ANNOTATIONS.lastRequestAt]: new Date(last).toISOString() } } }, { namespace: this.options.namespace });
        this.published.set(name, last);
      } catch (err) {
        this.logger.warn({ lemurModel: name, model, err }, 'could not publish the last request time; the leader may scale an idle-looking model down');
      }
    }
  }

  /** One autoscaling round (leader only): read every ready replica's load and set each model's replica count. */
  async autoscaleOnce(now = Date.now()): Promise<void> {
    if (!this.leading) return;
    for (const [name, scale] of this.scaling) {
      const lemurModel = this.lemurModels.get(name, this.options.namespace);
      if (!lemurModel) continue;
      const spec = resolveSpec(lemurModel.spec);
      if (specProblem(spec)) continue;
      const loads = (await Promise.all(this.urlsOf(name).map((url) => this.loads.read(url, spec.modelName)))).filter((l) => l !== undefined);
      const lastRequestAt = latest(this.activity?.lastActivityAt(spec.modelName, now), annotatedRequestAt(lemurModel));
      const state = withRequestActivity(scale.autoscaler, lastRequestAt);
      const decision = decideReplicas(scale.desired, loads, autoscalePolicy(spec), state, now);
      scale.autoscaler = decision.state;
      const recommended = decision.state.recommendations.at(-1);
      if (recommended?.at === now) this.metrics.recommendedReplicas.set({ model: spec.modelName }, recommended.replicas);
      if (decision.replicas !== scale.desired) {
        this.metrics.scaleEvents.inc({ model: spec.modelName, direction: decision.replicas > scale.desired ? 'up' : 'down' });
        this.setDesired(name, spec.modelName, scale, decision.replicas, decision.reason);
      }
    }
  }

  private setDesired(name: string, model: string, scale: ScaleState, replicas: number, reason: string): void {
    this.logger.info({ lemurModel: name, model, from: scale.desired, to: replicas, reason }, 'scaling model');
    scale.desired = replicas;
    scale.lastScaleTime = timestampNow();
    this.metrics.desiredReplicas.set({ model }, replicas);
    this.enqueue(name);
  }

  private lemurModelOfWorkload(instance: string | undefined): string | undefined {
    if (!instance) return undefined;
    return this.lemurModels.list().find((m) => workloadName(m.metadata?.name ?? '') === instance)?.metadata?.name;
  }

  private urlsOf(lemurModel: string): string[] {
    return this.endpoints.get(workloadName(lemurModel)) ?? [];
  }

  private onSlice(slice: IEndpointSlice): void {
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!service) return;
    const urls = readyEndpointUrls(this.slices.list().filter((s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === service));
    const before = this.endpoints.get(service) ?? [];
    if (canonical(before) === canonical(urls)) return;
    this.endpoints.set(service, urls);
    const lemurModel = this.lemurModelOfWorkload(service);
    const model = lemurModel ? this.served.get(lemurModel) : undefined;
    if (!lemurModel || !model) return;
    this.registry.setEndpoints(model, urls);
    this.logger.info({ lemurModel, model, endpoints: urls.length }, 'ready endpoints changed');
    if (urls.length > 0) this.wakeWaiters(model);
    this.enqueue(lemurModel);
  }

  private wakeWaiters(model: string): void {
    for (const wake of [...(this.waiters.get(model) ?? [])]) wake();
  }

  private enqueue(name: string | undefined): void {
    if (!name || this.stopped) return;
    this.queue.add(name);
    this.worker ??= this.drain().finally(() => (this.worker = undefined));
  }

  private async drain(): Promise<void> {
    while (this.queue.size > 0 && !this.stopped) {
      const name = this.queue.values().next().value as string;
      this.queue.delete(name);
      try {
        await this.reconcile(name);
        this.metrics.reconciles.inc({ outcome: 'ok' });
        const retry = this.retries.get(name);
        if (retry) clearTimeout(retry.timer);
        this.retries.delete(name);
      } catch (err) {
        this.metrics.reconciles.inc({ outcome: 'error' });
        const attempts = (this.retries.get(name)?.attempts ?? 0) + 1;
        const delay = Math.min(60_000, (this.options.retryBaseMs ?? 1_000) * 2 ** (attempts - 1));
        this.logger.warn({ lemurModel: name, err, attempts, retryInMs: delay }, 'reconcile failed; will retry');
        clearTimeout(this.retries.get(name)?.timer);
        this.retries.set(name, { attempts, timer: setTimeout(() => this.enqueue(name), delay).unref() });
      }
    }
  }

  /** Brings one LemurModel's Deployment, Service, router entry and status in line with its spec. Idempotent. */
  private async reconcile(name: string): Promise<void> {
    const { namespace } = this.options;
    const lemurModel = this.lemurModels.get(name, namespace);
    if (!lemurModel || lemurModel.metadata?.deletionTimestamp) {
      // Deployment and Service go with their owner (garbage collection); the router entry goes now.
      this.forget(name);
      return;
    }
    const spec = resolveSpec(lemurModel.spec);
    const invalid = specProblem(spec);
    const takenBy = [...this.served].find(([other, model]) => other !== name && model === spec.modelName)?.[0];
    const problem = invalid
      ? { reason: 'InvalidSpec', message: invalid }
      : this.staticModels.has(spec.modelName) || takenBy
        ? { reason: 'DuplicateModelName', message: `model name "${spec.modelName}" is already served by ${takenBy ? `LemurModel ${takenBy}` : 'the static registry'}` }
        : undefined;
    if (!this.leading) {
      // Routing only: the leader writes the Deployment, the Service and the status.
      if (problem) this.forget(name, false);
      else this.register(name, spec);
      return;
    }
    let deployment = this.deployments.get(workloadName(name), namespace);
    let scale = this.scaling.get(name);
    if (!scale) {
      scale = adoptedScale(spec, deployment, lemurModel.status?.lastScaleTime, Date.now());
      this.scaling.set(name, scale);
      if (deployment) this.logger.info({ lemurModel: name, model: spec.modelName, replicas: scale.desired }, 'adopted existing Deployment');
    }
    const current = deployment?.spec?.replicas ?? 0;
    if (scale.desired === 0 && scale.written === 0 && current > 0 && !problem) {
      scale.autoscaler = { ...scale.autoscaler, lastActivityAt: Date.now() };
      this.setDesired(name, spec.modelName, scale, Math.min(spec.maxReplicas, current), 'another inference replica woke the model from zero');
    }
    const bounded = Math.min(spec.maxReplicas, Math.max(spec.minReplicas, scale.desired));
    if (bounded !== scale.desired && !problem) this.setDesired(name, spec.modelName, scale, bounded, 'replica bounds changed');

    if (problem) {
      if (this.served.has(name)) this.forget(name, false);
    } else {
      deployment = await this.client.createOrUpdate(DEPLOYMENTS, renderDeployment(lemurModel, { namespace, replicas: scale.desired }), mergeDeployment);
      scale.written = deployment.spec?.replicas;
      await this.client.createOrUpdate(SERVICES, renderService(lemurModel, { namespace }), mergeService);
      this.register(name, spec);
    }
    const pods = this.pods.list().filter((p) => p.metadata?.labels?.[LABELS.instance] === workloadName(name));
    const status: LemurModelStatus = computeStatus(
      lemurModel,
      {
        deployment,
        pods,
        endpoints: problem ? 0 : this.urlsOf(name).length,
        desiredReplicas: problem ? 0 : scale.desired,
        ...(problem ? { specProblem: problem } : {}),
        ...(scale.lastScaleTime ? { lastScaleTime: scale.lastScaleTime } : {}),
      },
      timestampNow(),
    );
    if (canonical(status) !== canonical(lemurModel.status ?? {})) {
      await this.client.patchStatus(LEMUR_MODELS, name, { status }, { namespace });
    }
  }

  private register(name: string, spec: ResolvedSpec): void {
    const previous = this.served.get(name);
    if (previous !== undefined && previous !== spec.modelName) this.registry.remove(previous);
    this.registry.upsert(registryEntry(spec, this.urlsOf(name)));
    if (previous !== spec.modelName) this.logger.info({ lemurModel: name, model: spec.modelName, endpoints: this.urlsOf(name).length }, 'serving model');
    this.served.set(name, spec.modelName);
    const scale = this.scaling.get(name);
    if (scale) this.metrics.desiredReplicas.set({ model: spec.modelName }, scale.desired);
    if (this.urlsOf(name).length > 0) this.wakeWaiters(spec.modelName);
  }

  private forget(name: string, dropScale = true): void {
    const model = this.served.get(name);
    if (model !== undefined) {
      this.registry.remove(model);
      this.metrics.desiredReplicas.remove({ model });
      this.metrics.recommendedReplicas.remove({ model });
      this.logger.info({ lemurModel: name, model }, 'stopped serving model');
    }
    this.served.delete(name);
    this.published.delete(name);
    if (dropScale) this.scaling.delete(name);
  }
}
