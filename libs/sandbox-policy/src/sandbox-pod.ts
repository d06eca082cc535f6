import { createHash } from 'node:crypto';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPod } from 'kubernetes-models/v1/Pod';

/** Label keys and values every sandbox pod carries; the pool, the claim and the sweeper select on them. */
export const SANDBOX_POD_LABELS = Object.freeze({
  name: 'app.kubernetes.io/name',
  component: 'app.kubernetes.io/component',
  managedBy: 'app.kubernetes.io/managed-by',
  template: 'sandbox.lemur.dev/template',
  pool: 'sandbox.lemur.dev/pool',
  state: 'sandbox.lemur.dev/state',
  team: 'sandbox.lemur.dev/team',
});
/** Value of `app.kubernetes.io/name` on sandbox pods. */
export const SANDBOX_POD_APP = 'lemur-sandbox';
/** Annotation holding the instant after which the sweeper deletes the pod (RFC 3339). */
export const SANDBOX_EXPIRES_ANNOTATION = 'sandbox.lemur.dev/expires-at';
/** Annotation naming the service replica that claimed the pod (for operators; never trusted by the code). */
export const SANDBOX_CLAIMED_BY_ANNOTATION = 'sandbox.lemur.dev/claimed-by';
/** Where the runner's workspace emptyDir is mounted. */
export const SANDBOX_POD_WORKSPACE = '/workspace';

/** `pool`: warm and free to claim; `claimed`: running one Execute or session, deleted when it ends. */
export type SandboxPodState = 'pool' | 'claimed';

/** The operator's pod template: what a sandbox pod runs and how big it is. */
export interface SandboxPodTemplate {
  /** Template name (a label value): pools of different templates never take each other's pods. */
  name: string;
  /** Runner image: the sandbox app with Python and bash, started in runner mode. */
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  /** RuntimeClass of the pod (gVisor's `gvisor` by default); empty for the cluster's default runtime. */
  runtimeClassName: string;
  /** CPU and memory, used as both request and limit (Guaranteed QoS). */
  cpu: string;
  memory: string;
  /** Ephemeral storage request and limit (logs, writable layers). */
  ephemeralStorage: string;
  /** sizeLimit of the workspace and /tmp emptyDirs. */
  workspaceSize: string;
  tmpSize: string;
  /** Non-root uid/gid the runner and the programs run as. */
  runAsUser: number;
  /** Port of the runner's gRPC server (the NetworkPolicy admits only this one). */
  runnerPort: number;
  /** A warm pod still unclaimed after this long is deleted (and replaced) by the sweeper. */
  poolTtlSeconds: number;
}

/** Defaults after shared/research/sandbox.md §3 (the recommended pod spec). */
export const DEFAULT_SANDBOX_POD_TEMPLATE: Readonly<SandboxPodTemplate> = Object.freeze({
  name: 'default',
  image: 'ghcr.io/lemur-platform/sandbox-runner:latest',
  imagePullPolicy: 'IfNotPresent',
  runtimeClassName: 'gvisor',
  cpu: '500m',
  memory: '1Gi',
  ephemeralStorage: '512Mi',
  workspaceSize: '256Mi',
  tmpSize: '64Mi',
  runAsUser: 65534,
  runnerPort: 50051,
  poolTtlSeconds: 3600,
});

/** The object that owns the sandbox pods (the sandbox service's Deployment or Pod), so they are garbage-collected with it. */
export interface SandboxPodOwner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

/** Everything a pod is rendered from. */
export interface SandboxPodSpec {
  template: SandboxPodTemplate;
  namespace: string;
  /** Pool id (label value): the replicas of one service share a pool. */
  pool: string;
  owner: SandboxPodOwner | null;
  /** Extra runner environment (limit policy); never secrets: programs in the pod can read the runner's environment. */
  runnerEnv: Readonly<Record<string, string>>;
  /** Absolute paths (validated by parseScratchDirs) mounted as memory-backed emptyDirs sized like /tmp. */
  scratchDirs?: readonly string[];
  now: Date;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// A resource quantity as Kubernetes writes them (500m, 1Gi, 2, 1.5G).
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

/** Rejects a template Kubernetes would refuse, naming the field; returns it unchanged otherwise. */
export function validateSandboxPodTemplate(t: SandboxPodTemplate): SandboxPodTemplate {
  const fail = (field: string, why: string): never => {
    throw new Error(`sandbox pod template ${field} ${why}`);
  };
  // The name ends up in generateName (a DNS label with a 5-character suffix) and in labels.
  if (!DNS_LABEL.test(t.name) || t.name.length > 40) fail('name', `must be a DNS label of at most 40 characters, got ${JSON.stringify(t.name)}`);
  if (t.image.trim() === '') fail('image', 'is required');
  for (const field of ['cpu', 'memory', 'ephemeralStorage', 'workspaceSize', 'tmpSize'] as const) {
    if (!QUANTITY.test(t[field])) fail(field, `must be a Kubernetes quantity such as 500m or 1Gi, got ${JSON.stringify(t[field])}`);
  }
  if (t.runtimeClassName !== '' && !DNS_LABEL.test(t.runtimeClassName)) fail('runtimeClassName', `must be a DNS label or empty, got ${JSON.stringify(t.runtimeClassName)}`);
  if (!Number.isInteger(t.runAsUser) || t.runAsUser <= 0) fail('runAsUser', 'must be a non-root uid (> 0)');
  if (!Number.isInteger(t.runnerPort) || t.runnerPort < 1 || t.runnerPort > 65535) fail('runnerPort', 'must be a TCP port');
  if (!Number.isInteger(t.poolTtlSeconds) || t.poolTtlSeconds < 60) fail('poolTtlSeconds', 'must be at least 60');
  return t;
}

/** A label value standing for a team: a hash, so names never leak into labels and any name fits the label syntax. */
export function teamLabelValue(team: string): string {
  return createHash('sha256').update(team).digest('hex').slice(0, 16);
}

/** Label selector of one pool's pods (both states). */
export function sandboxPoolSelector(template: string, pool: string): string {
  return `${SANDBOX_POD_LABELS.name}=${SANDBOX_POD_APP},${SANDBOX_POD_LABELS.template}=${template},${SANDBOX_POD_LABELS.pool}=${pool}`;
}

/** Label selector of every sandbox pod in a namespace (the sweeper's view). */
export const SANDBOX_POD_SELECTOR = `${SANDBOX_POD_LABELS.name}=${SANDBOX_POD_APP}`;

/** RFC 3339 instant `seconds` after `now`, as the TTL annotation holds it. */
export function expiresAt(now: Date, seconds: number): string {
  return new Date(now.getTime() + seconds * 1000).toISOString();
}

/**
 * A warm sandbox pod: non-root, read-only root, no capabilities, RuntimeDefault seccomp, no service-account token or
 * service links, the template's runtime class, Guaranteed resources, sized emptyDirs, pool labels, owner and TTL.
 */
export function renderSandboxPod(spec: SandboxPodSpec): IPod {
  const t = validateSandboxPodTemplate(spec.template);
  if (!LABEL_VALUE.test(spec.pool) || spec.pool.length > 63) throw new Error(`sandbox pool id ${JSON.stringify(spec.pool)} is not a valid label value`);
  const resources = { cpu: t.cpu, memory: t.memory, 'ephemeral-storage': t.ephemeralStorage };
  const scratch = spec.scratchDirs ?? [];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `lemur-sbx-${t.name}-`,
      namespace: spec.namespace,
      labels: {
        [SANDBOX_POD_LABELS.name]: SANDBOX_POD_APP,
        [SANDBOX_POD_LABELS.component]: 'runner',
        [SANDBOX_POD_LABELS.managedBy]: 'lemur-sandbox-service',
        [SANDBOX_POD_LABELS.template]: t.name,
        [SANDBOX_POD_LABELS.pool]: spec.pool,
        [SANDBOX_POD_LABELS.state]: 'pool' satisfies SandboxPodState,
      },
      annotations: { [SANDBOX_EXPIRES_ANNOTATION]: expiresAt(spec.now, t.poolTtlSeconds) },
      ...(spec.owner
        ? {
            ownerReferences: [
              // blockOwnerDeletion false: deleting the service must not wait for its sandboxes.
              { apiVersion: spec.owner.apiVersion, kind: spec.owner.kind, name: spec.owner.name, uid: spec.owner.uid, controller: true, blockOwnerDeletion: false },
            ],
          }
        : {}),
    },
    spec: {
      ...(t.runtimeClassName !== '' ? { runtimeClassName: t.runtimeClassName } : {}),
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
      shareProcessNamespace: false,
      // A pod serves one run and is deleted after it: a crashed runner is replaced, never restarted with old state.
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: t.runAsUser,
        runAsGroup: t.runAsUser,
        fsGroup: t.runAsUser,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'runner',
          image: t.image,
          imagePullPolicy: t.imagePullPolicy,
          env: [
            { name: 'SANDBOX_MODE', value: 'runner' },
            { name: 'SANDBOX_GRPC_URL', value: `0.0.0.0:${t.runnerPort}` },
            { name: 'SANDBOX_WORKSPACE_ROOT', value: SANDBOX_POD_WORKSPACE },
            { name: 'SANDBOX_METRICS_PORT', value: '0' },
            ...Object.entries(spec.runnerEnv).map(([name, value]) => ({ name, value })),
          ],
          ports: [{ name: 'grpc', containerPort: t.runnerPort, protocol: 'TCP' }],
          readinessProbe: { grpc: { port: t.runnerPort }, periodSeconds: 1, failureThreshold: 3 },
          resources: { requests: resources, limits: resources },
          securityContext: {
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
          },
          volumeMounts: [
            { name: 'workspace', mountPath: SANDBOX_POD_WORKSPACE },
            { name: 'tmp', mountPath: '/tmp' },
            ...scratch.map((dir, i) => ({ name: `scratch-${i}`, mountPath: dir })),
          ],
        },
      ],
      volumes: [
        { name: 'workspace', emptyDir: { sizeLimit: t.workspaceSize } },
        // Memory-backed: counted against the pod's memory limit, so /tmp cannot outgrow the pod.
        { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: t.tmpSize } },
        ...scratch.map((_, i) => ({ name: `scratch-${i}`, emptyDir: { medium: 'Memory', sizeLimit: t.tmpSize } })),
      ],
    },
  };
}

/** Where the sandbox service's own pods are, so the NetworkPolicy admits them and nothing else. */
export interface SandboxServicePeer {
  /** Labels of the sandbox service's pods. */
  podLabels: Readonly<Record<string, string>>;
  /** Their namespace when it differs from the sandboxes' (matched by the `kubernetes.io/metadata.name` label). */
  namespace?: string;
}

/**
 * The NetworkPolicy of one template's pods: every egress denied (no DNS, no cluster, no internet) and ingress only
 * from the sandbox service's pods, on the runner port. It has no owner on purpose: it must outlive any one replica.
 */
export function renderSandboxNetworkPolicy(spec: { template: SandboxPodTemplate; namespace: string; peer: SandboxServicePeer }): INetworkPolicy {
  const t = spec.template;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: `lemur-sandbox-${t.name}`,
      namespace: spec.namespace,
      labels: { [SANDBOX_POD_LABELS.name]: SANDBOX_POD_APP, [SANDBOX_POD_LABELS.template]: t.name },
    },
    spec: {
      podSelector: { matchLabels: { [SANDBOX_POD_LABELS.name]: SANDBOX_POD_APP, [SANDBOX_POD_LABELS.template]: t.name } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [
            {
              podSelector: { matchLabels: { ...spec.peer.podLabels } },
              ...(spec.peer.namespace ? { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': spec.peer.namespace } } } : {}),
            },
          ],
          ports: [{ protocol: 'TCP', port: t.runnerPort }],
        },
      ],
      egress: [],
    },
  };
}

/** The pod's claim state, or null for a pod that is not a sandbox pod. */
export function sandboxPodState(pod: IPod): SandboxPodState | null {
  const state = pod.metadata?.labels?.[SANDBOX_POD_LABELS.state];
  return state === 'pool' || state === 'claimed' ? state : null;
}

/** True when the runner answers: Running, Ready, with an IP, and not being deleted. */
export function isSandboxPodReady(pod: IPod): boolean {
  if (pod.metadata?.deletionTimestamp || pod.status?.phase !== 'Running' || !pod.status.podIP) return false;
  return (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** True once the pod can never serve again (its runner exited). */
export function isSandboxPodFinished(pod: IPod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** True when the pod's TTL annotation is in the past (a pod without one never expires by TTL). */
export function isSandboxPodExpired(pod: IPod, now: Date): boolean {
  const at = pod.metadata?.annotations?.[SANDBOX_EXPIRES_ANNOTATION];
  if (at === undefined) return false;
  const t = Date.parse(at);
  return Number.isFinite(t) && t <= now.getTime();
}
