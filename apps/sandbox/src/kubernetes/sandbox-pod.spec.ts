import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  DEFAULT_SANDBOX_LIMITS,
  DEFAULT_SANDBOX_POD_TEMPLATE,
  SANDBOX_EXPIRES_ANNOTATION,
  buildSandboxCommand,
  isSandboxPodExpired,
  isSandboxPodReady,
  renderSandboxNetworkPolicy,
  renderSandboxPod,
  teamLabelValue,
  validateSandboxPodTemplate,
} from '@lemur/sandbox-policy';
import type { IPod } from '@lemur/shared-k8s';
import { validateKubernetesObject, type KubeObject } from '@lemur/shared-testing';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const owner = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'lemur-sandbox', uid: '6f0c1c1e-1111-4222-8333-944445555666' };
const now = new Date('2026-11-26T10:00:00Z');
// The API server turns generateName into a name before validating; do the same here.
const named = (obj: { metadata?: { generateName?: string } }): KubeObject => ({ ...obj, metadata: { ...obj.metadata, name: `${obj.metadata?.generateName ?? ''}x7k2q` } }) as KubeObject;

describe('sandbox pod template', () => {
  const pod = renderSandboxPod({ template: DEFAULT_SANDBOX_POD_TEMPLATE, namespace: 'sandboxes', pool: 'default', owner, runnerEnv: { SANDBOX_LIMIT_MAXIMA: '{}' }, now });

  it('is a valid Pod for the Kubernetes schemas', async () => {
    expect(await validateKubernetesObject(named(pod))).toEqual([]);
  });

  it('is locked down: non-root, read-only root, no capabilities, RuntimeDefault seccomp, no token, no service links, gVisor', () => {
    const spec = pod.spec!;
    expect(spec).toMatchObject({
      runtimeClassName: 'gvisor',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostNetwork: false,
      restartPolicy: 'Never',
      securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: 'RuntimeDefault' } },
    });
    const [runner] = spec.containers;
    expect(runner?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    // Guaranteed QoS: requests equal limits for cpu and memory.
    expect(runner?.resources?.requests).toEqual(runner?.resources?.limits);
    expect(runner?.resources?.limits).toMatchObject({ cpu: '500m', memory: '1Gi' });
    expect(spec.volumes).toEqual([
      { name: 'workspace', emptyDir: { sizeLimit: '256Mi' } },
      { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
    ]);
    expect(runner?.env).toContainEqual({ name: 'SANDBOX_MODE', value: 'runner' });
  });

  it('carries pool labels, an owner for garbage collection, and a TTL', () => {
    expect(pod.metadata?.labels).toMatchObject({
      'app.kubernetes.io/name': 'lemur-sandbox',
      'sandbox.lemur.dev/template': 'default',
      'sandbox.lemur.dev/pool': 'default',
      'sandbox.lemur.dev/state': 'pool',
    });
    expect(pod.metadata?.ownerReferences).toEqual([{ ...owner, controller: true, blockOwnerDeletion: false }]);
    expect(pod.metadata?.annotations?.[SANDBOX_EXPIRES_ANNOTATION]).toBe('2026-11-26T11:00:00.000Z');
    expect(isSandboxPodExpired(pod, new Date('2026-11-26T10:59:59Z'))).toBe(false);
    expect(isSandboxPodExpired(pod, new Date('2026-11-26T11:00:00Z'))).toBe(true);
  });

  it('leaves runtimeClassName out when the template empties it, and stays valid', async () => {
    const plain = renderSandboxPod({ template: { ...DEFAULT_SANDBOX_POD_TEMPLATE, runtimeClassName: '' }, namespace: 'x', pool: 'p', owner: null, runnerEnv: {}, now });
    expect(plain.spec?.runtimeClassName).toBeUndefined();
    expect(plain.metadata?.ownerReferences).toBeUndefined();
    expect(await validateKubernetesObject(named(plain))).toEqual([]);
  });

  it('rejects templates Kubernetes or the threat model would refuse', () => {
    expect(() => validateSandboxPodTemplate({ ...DEFAULT_SANDBOX_POD_TEMPLATE, runAsUser: 0 })).toThrow(/runAsUser/);
    expect(() => validateSandboxPodTemplate({ ...DEFAULT_SANDBOX_POD_TEMPLATE, name: 'Bad_Name' })).toThrow(/name/);
    expect(() => validateSandboxPodTemplate({ ...DEFAULT_SANDBOX_POD_TEMPLATE, runtimeClassName: 'g visor' })).toThrow(/runtimeClassName/);
  });

  it('hashes team names into valid label values', () => {
    const v = teamLabelValue('Team Ω / eval');
    expect(v).toMatch(/^[0-9a-f]{16}$/);
    expect(teamLabelValue('Team Ω / eval')).toBe(v);
    expect(teamLabelValue('other')).not.toBe(v);
  });

  it('counts a pod ready only when Running, Ready and addressed', () => {
    expect(isSandboxPodReady(pod)).toBe(false);
    const running: IPod = { ...pod, status: { phase: 'Running', podIP: '10.0.0.7', conditions: [{ type: 'Ready', status: 'True' }] } };
    expect(isSandboxPodReady(running)).toBe(true);
    expect(isSandboxPodReady({ ...running, metadata: { ...pod.metadata, deletionTimestamp: now.toISOString() } })).toBe(false);
  });
});

describe('sandbox NetworkPolicy', () => {
  const policy = renderSandboxNetworkPolicy({
    template: DEFAULT_SANDBOX_POD_TEMPLATE,
    namespace: 'sandboxes',
    peer: { podLabels: { 'app.kubernetes.io/name': 'lemur-sandbox-service' }, namespace: 'lemur' },
  });

  it('denies all egress and admits only the service on the runner port', async () => {
    expect(await validateKubernetesObject(policy as KubeObject)).toEqual([]);
    expect(policy.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec?.egress).toEqual([]);
    expect(policy.spec?.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'lemur-sandbox-service' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'lemur' } } }],
        ports: [{ protocol: 'TCP', port: 50051 }],
      },
    ]);
  });
});

describe('k8s/sandbox manifests', () => {
  const dir = resolve(__dirname, '../../../../k8s/sandbox');
  const load = (file: string) => parseAllDocuments(readFileSync(resolve(dir, file), 'utf8')).map((d) => d.toJSON() as KubeObject);

  it('validate against the Kubernetes schemas', async () => {
    for (const obj of [...load('rbac.yaml'), ...load('network-policy.yaml')]) expect(await validateKubernetesObject(obj)).toEqual([]);
  });

  it('show exactly the NetworkPolicy the service ensures for the default template', () => {
    const rendered = renderSandboxNetworkPolicy({ template: DEFAULT_SANDBOX_POD_TEMPLATE, namespace: 'x', peer: { podLabels: { 'app.kubernetes.io/name': 'lemur-sandbox-service' } } });
    const [example] = load('network-policy.yaml');
    expect(example).toEqual({ ...rendered, metadata: { ...rendered.metadata, namespace: undefined } });
  });
});

describe('in-pod command', () => {
  const spec = {
    language: 'python' as const,
    limits: DEFAULT_SANDBOX_LIMITS,
    workspaceDir: '/workspace/run-1',
    runAsUser: null,
    privilegeDrop: 'spawn' as const,
    seccompFd: null,
    codeFd: 10,
    setupFds: { info: 11, block: 12 },
    cgroupProcsFiles: [],
    memoryCgroup: false,
    pidsCgroup: false,
    isolation: 'pod' as const,
  };

  it('runs the interpreter without bwrap, in an empty environment, in the workspace, with rlimits', () => {
    const { file, args } = buildSandboxCommand(spec);
    expect(file).toBe('/bin/sh');
    expect(args).not.toContain('/usr/bin/bwrap');
    const cpu = Math.max(1, Math.ceil(DEFAULT_SANDBOX_LIMITS.cpuMs / 1000));
    expect(args[1]).toContain(
      `ulimit -v ${DEFAULT_SANDBOX_LIMITS.memoryBytes / 1024} && ulimit -t ${cpu + 1} && ulimit -S -t ${cpu} && ` +
        `ulimit -f ${Math.ceil(DEFAULT_SANDBOX_LIMITS.fileSizeBytes / 512)} && ulimit -n 256 && ulimit -c 0 && ulimit -p ${DEFAULT_SANDBOX_LIMITS.processes * 16} ||`,
    );
    const env = args.indexOf('/usr/bin/env');
    expect(args.slice(env, env + 4)).toEqual(['/usr/bin/env', '-i', '-C', '/workspace/run-1']);
    expect(args.slice(-3)).toEqual(['/usr/bin/python3', '-I', '/dev/fd/9']);
  });
});
