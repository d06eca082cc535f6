/** The LemurModel custom resource (k8s/crds/lemurmodels.lemur.dev.yaml), as TypeScript. */
export const LEMUR_GROUP = 'lemur.dev';
export const LEMUR_VERSION = 'v1alpha1';
export const LEMUR_MODEL_KIND = 'LemurModel';
export const LEMUR_MODEL_PLURAL = 'lemurmodels';
export const LEMUR_API_VERSION = `${LEMUR_GROUP}/${LEMUR_VERSION}`;

export type RoutingPolicy = 'prefix-affinity' | 'least-outstanding' | 'load-aware' | 'round-robin' | 'session-affinity';

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface LemurModelSpec {
  modelName: string;
  chat?: boolean;
  source: {
    huggingFace?: { repo: string; revision: string; tokenSecretName?: string; cacheSize?: string };
    pvc?: { claimName: string; path: string };
  };
  engine: {
    image: string;
    tensorParallelSize: number;
    maxModelLen?: number;
    gpuMemoryUtilization?: number;
    extraArgs?: string[];
    chatTemplate?: string;
    shmSize?: string;
    resources?: { cpu?: string; memory?: string };
    startupTimeoutSeconds?: number;
  };
  minReplicas?: number;
  maxReplicas?: number;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  routing?: { policy?: RoutingPolicy };
  autoscaling?: {
    targetWaitingPerReplica?: number;
    targetRunningPerReplica?: number;
    targetKvCacheUsage?: number;
    scaleDownStabilizationSeconds?: number;
    scaleToZeroAfterSeconds?: number;
  };
}

export type ConditionType = 'Progressing' | 'Available' | 'Degraded';

export interface Condition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}

export interface LemurModelStatus {
  observedGeneration?: number;
  desiredReplicas?: number;
  replicas?: number;
  readyReplicas?: number;
  endpoints?: number;
  lastScaleTime?: string;
  conditions?: Condition[];
}

export interface LemurModel {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: LemurModelSpec;
  status?: LemurModelStatus;
}

/** A spec with every defaulted field filled (the API server defaults them too, but objects written before a default existed may lack them). */
export type ResolvedSpec = LemurModelSpec & {
  chat: boolean;
  minReplicas: number;
  maxReplicas: number;
  engine: LemurModelSpec['engine'] & { gpuMemoryUtilization: number; shmSize: string; startupTimeoutSeconds: number; extraArgs: string[] };
  routing: { policy: RoutingPolicy };
  autoscaling: Required<NonNullable<LemurModelSpec['autoscaling']>>;
};

/** Fills the CRD's defaults. */
export function resolveSpec(spec: LemurModelSpec): ResolvedSpec {
  return {
    ...spec,
    chat: spec.chat ?? false,
    minReplicas: spec.minReplicas ?? 1,
    maxReplicas: spec.maxReplicas ?? Math.max(1, spec.minReplicas ?? 1),
    engine: {
      ...spec.engine,
      gpuMemoryUtilization: spec.engine.gpuMemoryUtilization ?? 0.9,
      shmSize: spec.engine.shmSize ?? '16Gi',
      startupTimeoutSeconds: spec.engine.startupTimeoutSeconds ?? 2400,
      extraArgs: spec.engine.extraArgs ?? [],
    },
    routing: { policy: spec.routing?.policy ?? 'prefix-affinity' },
    autoscaling: {
      targetWaitingPerReplica: spec.autoscaling?.targetWaitingPerReplica ?? 2,
      targetRunningPerReplica: spec.autoscaling?.targetRunningPerReplica ?? 64,
      targetKvCacheUsage: spec.autoscaling?.targetKvCacheUsage ?? 0.8,
      scaleDownStabilizationSeconds: spec.autoscaling?.scaleDownStabilizationSeconds ?? 300,
      scaleToZeroAfterSeconds: spec.autoscaling?.scaleToZeroAfterSeconds ?? 900,
    },
  };
}

/**
 * Rules the schema alone cannot enforce on every cluster (the CRD also carries them as CEL rules, which older API
 * servers or test servers may not evaluate). Undefined when the spec is usable.
 */
export function specProblem(spec: ResolvedSpec): string | undefined {
  if (spec.minReplicas > spec.maxReplicas) return `minReplicas (${spec.minReplicas}) exceeds maxReplicas (${spec.maxReplicas})`;
  const sources = [spec.source.huggingFace, spec.source.pvc].filter((s) => s !== undefined).length;
  if (sources !== 1) return 'spec.source needs exactly one of huggingFace or pvc';
  if (/:latest$/.test(spec.engine.image) || !/(:[\w][\w.-]*|@sha256:[a-f0-9]{64})$/.test(spec.engine.image.split('/').pop() ?? ''))
    return `engine.image "${spec.engine.image}" must be pinned to a tag other than latest, or a digest`;
  return undefined;
}
