import { type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { type IContainer } from 'kubernetes-models/v1/Container';
import { type IService } from 'kubernetes-models/v1/Service';
import { type IVolume } from 'kubernetes-models/v1/Volume';
import { fnv1a } from './hash';
import { LEMUR_API_VERSION, LEMUR_MODEL_KIND, type LemurModel, resolveSpec, type ResolvedSpec } from './lemur-model';
import { ANNOTATIONS, HTTP_PORT, HTTP_PORT_NAME, resourceLabels, selectorLabels, workloadName } from './names';

/** Where a PVC with weights is mounted in the engine container. */
export const MODEL_VOLUME_PATH = '/models';
/** Hugging Face download cache (an emptyDir: a replica downloads its weights once per pod, bounded by `cacheSize`). */
const DEFAULT_HF_CACHE_SIZE = '200Gi';
const HF_CACHE_PATH = '/var/cache/huggingface';
/** The startup probe polls this often; its failure threshold is derived from the model's startup timeout. */
const STARTUP_PROBE_PERIOD_SECONDS = 10;
/** vLLM images run as root by default; this uid owns nothing in the image, so caches go to writable volumes. */
const ENGINE_UID = 1000;

function ownerReference(model: LemurModel): NonNullable<NonNullable<IDeployment['metadata']>['ownerReferences']>[number] {
  const { name, uid } = model.metadata ?? {};
  if (!name || !uid) throw new Error('a LemurModel needs metadata.name and metadata.uid (read it from the API server) before rendering');
  return { apiVersion: LEMUR_API_VERSION, kind: LEMUR_MODEL_KIND, name, uid, controller: true, blockOwnerDeletion: true };
}

/** The `vllm serve` flags for a spec, in a stable order. */
export function engineArgs(spec: ResolvedSpec): string[] {
  const { huggingFace, pvc } = spec.source;
  const weights = huggingFace ? ['--model', huggingFace.repo, '--revision', huggingFace.revision] : ['--model', `${MODEL_VOLUME_PATH}/${(pvc?.path ?? '').replace(/^\/+/, '')}`];
  return [
    ...weights,
    '--served-model-name',
    spec.modelName,
    '--tensor-parallel-size',
    String(spec.engine.tensorParallelSize),
    ...(spec.engine.maxModelLen !== undefined ? ['--max-model-len', String(spec.engine.maxModelLen)] : []),
    '--gpu-memory-utilization',
    String(spec.engine.gpuMemoryUtilization),
    '--host',
    '0.0.0.0',
    '--port',
    String(HTTP_PORT),
    ...(spec.engine.chatTemplate ? ['--chat-template', spec.engine.chatTemplate] : []),
    ...spec.engine.extraArgs,
  ];
}

function engineContainer(spec: ResolvedSpec): IContainer {
  const gpus = String(spec.engine.tensorParallelSize);
  const { cpu, memory } = spec.engine.resources ?? {};
  const probe = (path: string) => ({ httpGet: { path, port: HTTP_PORT_NAME } });
  const tokenSecret = spec.source.huggingFace?.tokenSecretName;
  return {
    name: 'vllm',
    image: spec.engine.image,
    imagePullPolicy: 'IfNotPresent',
    args: engineArgs(spec),
    env: [
      { name: 'HOME', value: '/tmp' },
      { name: 'HF_HOME', value: HF_CACHE_PATH },
      { name: 'VLLM_NO_USAGE_STATS', value: '1' },
      { name: 'DO_NOT_TRACK', value: '1' },
      ...(spec.source.pvc ? [{ name: 'HF_HUB_OFFLINE', value: '1' }] : []),
      ...(tokenSecret ? [{ name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: tokenSecret, key: 'HF_TOKEN' } } }] : []),
    ],
    ports: [{ name: HTTP_PORT_NAME, containerPort: HTTP_PORT, protocol: 'TCP' }],
    resources: {
      // Extended resources cannot be overcommitted: requests must equal limits.
      requests: { 'nvidia.com/gpu': gpus, ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) },
      limits: { 'nvidia.com/gpu': gpus, ...(memory ? { memory } : {}) },
    },
    // Loading 70B weights takes many minutes: only the startup probe waits that long; liveness starts after it.
    startupProbe: { ...probe('/health'), periodSeconds: STARTUP_PROBE_PERIOD_SECONDS, timeoutSeconds: 5, failureThreshold: Math.ceil(spec.engine.startupTimeoutSeconds / STARTUP_PROBE_PERIOD_SECONDS) },
    readinessProbe: { ...probe('/health'), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
    livenessProbe: { ...probe('/health'), periodSeconds: 15, timeoutSeconds: 10, failureThreshold: 4 },
    volumeMounts: [
      { name: 'dshm', mountPath: '/dev/shm' },
      { name: 'tmp', mountPath: '/tmp' },
      spec.source.pvc ? { name: 'weights', mountPath: MODEL_VOLUME_PATH, readOnly: true } : { name: 'hf-cache', mountPath: HF_CACHE_PATH },
    ],
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  };
}

function volumes(spec: ResolvedSpec): IVolume[] {
  return [
    // NCCL exchanges tensors through shared memory; the container default (64 MiB) breaks tensor parallelism.
    { name: 'dshm', emptyDir: { medium: 'Memory', sizeLimit: spec.engine.shmSize } },
    { name: 'tmp', emptyDir: {} },
    spec.source.pvc ? { name: 'weights', persistentVolumeClaim: { claimName: spec.source.pvc.claimName, readOnly: true } } : { name: 'hf-cache', emptyDir: { sizeLimit: spec.source.huggingFace?.cacheSize ?? DEFAULT_HF_CACHE_SIZE } },
  ];
}

/**
 * The Deployment that runs a LemurModel's vLLM replicas. Pure: the same model and replica count always render the
 * same object, and `metadata.annotations['lemur.dev/spec-hash']` fingerprints everything but the replica count, so a
 * controller can tell "nothing to do" without comparing against server-defaulted fields.
 */
export function renderDeployment(model: LemurModel, options: { namespace: string; replicas: number }): IDeployment {
  const spec = resolveSpec(model.spec);
  const name = workloadName(model.metadata?.name ?? '');
  const labels = resourceLabels(model.metadata?.name ?? '');
  const template: NonNullable<IDeployment['spec']>['template'] = {
    metadata: { labels, annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(HTTP_PORT), 'prometheus.io/path': '/metrics' } },
    spec: {
      containers: [engineContainer(spec)],
      volumes: volumes(spec),
      // In-flight generations get time to finish when a replica is scaled away.
      terminationGracePeriodSeconds: 120,
      enableServiceLinks: false,
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true, runAsUser: ENGINE_UID, runAsGroup: ENGINE_UID, fsGroup: ENGINE_UID, seccompProfile: { type: 'RuntimeDefault' } },
      ...(spec.nodeSelector ? { nodeSelector: spec.nodeSelector } : {}),
      ...(spec.tolerations ? { tolerations: spec.tolerations } : {}),
      affinity: {
        // Replicas on different nodes: one node failure must not take every replica of a model.
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selectorLabels(model.metadata?.name ?? '') } } }] },
      },
    },
  };
  const deploymentSpec = {
    selector: { matchLabels: selectorLabels(model.metadata?.name ?? '') },
    // A new replica must be ready before an old one goes (GPU capacity permitting): no drop in serving capacity.
    strategy: { type: 'RollingUpdate' as const, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    progressDeadlineSeconds: spec.engine.startupTimeoutSeconds + 600,
    revisionHistoryLimit: 3,
    template,
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: options.namespace,
      labels,
      annotations: { [ANNOTATIONS.modelName]: spec.modelName, [ANNOTATIONS.specHash]: fnv1a(JSON.stringify(deploymentSpec)) },
      ownerReferences: [ownerReference(model)],
    },
    spec: { replicas: options.replicas, ...deploymentSpec },
  };
}

/** The ClusterIP Service in front of a model's replicas (its EndpointSlices are how the router finds ready pods). */
export function renderService(model: LemurModel, options: { namespace: string }): IService {
  const spec = resolveSpec(model.spec);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: workloadName(model.metadata?.name ?? ''),
      namespace: options.namespace,
      labels: resourceLabels(model.metadata?.name ?? ''),
      annotations: { [ANNOTATIONS.modelName]: spec.modelName },
      ownerReferences: [ownerReference(model)],
    },
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(model.metadata?.name ?? ''),
      ports: [{ name: HTTP_PORT_NAME, port: HTTP_PORT, targetPort: HTTP_PORT_NAME, protocol: 'TCP' }],
      publishNotReadyAddresses: false,
    },
  };
}
