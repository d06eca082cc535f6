import { type KubeObject } from '@lemur/shared-testing';

type Json = Record<string, unknown>;

/** A pod template found in a rendered object (Deployment, Job, Pod ...), with where it came from. */
export interface PodTemplate {
  owner: KubeObject;
  labels: Record<string, string>;
  spec: Json;
}

/** The pod templates of the workload kinds in a render. */
export function podTemplates(objects: KubeObject[]): PodTemplate[] {
  return objects.flatMap((obj): PodTemplate[] => {
    if (obj.kind === 'Pod') return [{ owner: obj, labels: obj.metadata?.labels ?? {}, spec: obj['spec'] as Json }];
    const spec = obj['spec'] as Json | undefined;
    const template = (obj.kind === 'CronJob' ? ((spec?.['jobTemplate'] as Json)['spec'] as Json)['template'] : spec?.['template']) as Json | undefined;
    if (!['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob', 'ReplicaSet'].includes(String(obj.kind)) || !template) return [];
    return [{ owner: obj, labels: ((template['metadata'] as Json | undefined)?.['labels'] as Record<string, string>) ?? {}, spec: template['spec'] as Json }];
  });
}

const containersOf = (spec: Json): Json[] => [...((spec['initContainers'] as Json[]) ?? []), ...((spec['containers'] as Json[]) ?? [])];

/** An image reference pinned to a version: a digest, or a tag that is not `latest`. */
export function isPinnedImage(image: unknown): boolean {
  if (typeof image !== 'string' || image === '') return false;
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  return colon > 0 && lastSegment.slice(colon + 1) !== 'latest' && lastSegment.slice(colon + 1) !== '';
}

/**
 * The project's pod policy: non-root, read-only root filesystem, nothing privileged, no capabilities, RuntimeDefault
 * seccomp, no host namespaces or hostPath, pinned images, requests and limits for cpu and memory on every container,
 * and (for Deployments) readiness and liveness probes. Returns one message per violation.
 */
export function podPolicyViolations(pod: PodTemplate): string[] {
  const where = `${String(pod.owner.kind)} ${pod.owner.metadata?.name}`;
  const out: string[] = [];
  const podSc = (pod.spec['securityContext'] as Json | undefined) ?? {};
  for (const flag of ['hostNetwork', 'hostPID', 'hostIPC']) if (pod.spec[flag] === true) out.push(`${where}: ${flag}`);
  for (const volume of (pod.spec['volumes'] as Json[]) ?? []) if (volume['hostPath']) out.push(`${where}: hostPath volume ${String(volume['name'])}`);
  if ((podSc['seccompProfile'] as Json | undefined)?.['type'] !== 'RuntimeDefault') out.push(`${where}: pod seccompProfile is not RuntimeDefault`);
  for (const c of containersOf(pod.spec)) {
    const at = `${where} container ${String(c['name'])}`;
    const sc = (c['securityContext'] as Json | undefined) ?? {};
    const runAsNonRoot = sc['runAsNonRoot'] ?? podSc['runAsNonRoot'];
    const runAsUser = sc['runAsUser'] ?? podSc['runAsUser'];
    if (runAsNonRoot !== true) out.push(`${at}: runAsNonRoot is not true`);
    if (runAsUser === 0) out.push(`${at}: runs as uid 0`);
    if (sc['privileged'] === true) out.push(`${at}: privileged`);
    if (sc['allowPrivilegeEscalation'] !== false) out.push(`${at}: allowPrivilegeEscalation is not false`);
    if (sc['readOnlyRootFilesystem'] !== true) out.push(`${at}: readOnlyRootFilesystem is not true`);
    const caps = (sc['capabilities'] as Json | undefined) ?? {};
    if (!((caps['drop'] as string[] | undefined) ?? []).includes('ALL')) out.push(`${at}: capabilities do not drop ALL`);
    if (((caps['add'] as string[] | undefined) ?? []).length > 0) out.push(`${at}: adds capabilities`);
    if (!isPinnedImage(c['image'])) out.push(`${at}: image ${JSON.stringify(c['image'])} is untagged or latest`);
    const resources = (c['resources'] as Json | undefined) ?? {};
    for (const kind of ['requests', 'limits']) {
      for (const r of ['cpu', 'memory']) if (!(resources[kind] as Json | undefined)?.[r]) out.push(`${at}: no ${kind}.${r}`);
    }
    for (const port of (c['ports'] as Json[]) ?? []) if (port['hostPort'] !== undefined) out.push(`${at}: hostPort`);
    if (pod.owner.kind === 'Deployment') {
      if (!c['readinessProbe']) out.push(`${at}: no readinessProbe`);
      if (!c['livenessProbe']) out.push(`${at}: no livenessProbe`);
    }
  }
  return out;
}

const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);

/** Violations of the Pod Security Standard `restricted` (v1.27+), as the admission controller checks it. */
export function restrictedViolations(spec: Json): string[] {
  const out: string[] = [];
  const podSc = (spec['securityContext'] as Json | undefined) ?? {};
  for (const flag of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[flag] === true) out.push(flag);
  for (const volume of (spec['volumes'] as Json[]) ?? []) {
    const type = Object.keys(volume).find((k) => k !== 'name');
    if (!type || !RESTRICTED_VOLUMES.has(type)) out.push(`volume type ${String(type)}`);
  }
  for (const c of containersOf(spec)) {
    const sc = (c['securityContext'] as Json | undefined) ?? {};
    const name = String(c['name']);
    if (sc['privileged'] === true) out.push(`${name}: privileged`);
    if (sc['allowPrivilegeEscalation'] !== false) out.push(`${name}: allowPrivilegeEscalation`);
    if ((sc['runAsNonRoot'] ?? podSc['runAsNonRoot']) !== true) out.push(`${name}: runAsNonRoot`);
    if ((sc['runAsUser'] ?? podSc['runAsUser']) === 0) out.push(`${name}: runAsUser 0`);
    const seccomp = ((sc['seccompProfile'] ?? podSc['seccompProfile']) as Json | undefined)?.['type'];
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push(`${name}: seccompProfile`);
    const caps = (sc['capabilities'] as Json | undefined) ?? {};
    if (!((caps['drop'] as string[] | undefined) ?? []).includes('ALL')) out.push(`${name}: capabilities.drop ALL`);
    if (((caps['add'] as string[] | undefined) ?? []).some((cap) => cap !== 'NET_BIND_SERVICE')) out.push(`${name}: capabilities.add`);
    for (const port of (c['ports'] as Json[]) ?? []) if (port['hostPort'] !== undefined) out.push(`${name}: hostPort`);
  }
  return out;
}

/** Violations of least privilege in RBAC objects: cluster-wide grants, wildcards, Secrets, privilege-granting verbs. */
export function rbacViolations(objects: KubeObject[]): string[] {
  const out: string[] = [];
  for (const obj of objects) {
    if (obj.kind === 'ClusterRole' || obj.kind === 'ClusterRoleBinding') out.push(`${obj.kind} ${obj.metadata?.name}: cluster-wide`);
    if (obj.kind !== 'Role') continue;
    if (!obj.metadata?.namespace) out.push(`Role ${obj.metadata?.name}: no namespace (it would land in the release namespace implicitly)`);
    for (const rule of (obj['rules'] as Json[]) ?? []) {
      const verbs = (rule['verbs'] as string[]) ?? [];
      const resources = (rule['resources'] as string[]) ?? [];
      const groups = (rule['apiGroups'] as string[]) ?? [];
      if ([...verbs, ...resources, ...groups].includes('*')) out.push(`Role ${obj.metadata?.name}: wildcard in ${JSON.stringify(rule)}`);
      if (resources.some((r) => r === 'secrets' || r.startsWith('pods/exec') || r.startsWith('pods/attach'))) out.push(`Role ${obj.metadata?.name}: grants ${resources.join(',')}`);
      if (verbs.some((v) => ['escalate', 'bind', 'impersonate'].includes(v))) out.push(`Role ${obj.metadata?.name}: privilege-granting verb`);
    }
  }
  return out;
}
