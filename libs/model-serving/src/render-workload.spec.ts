import { describe, expect, it } from 'vitest';
import { type LemurModel } from './lemur-model';
import { ANNOTATIONS, workloadName } from './names';
import { engineArgs, renderDeployment, renderService } from './render-workload';
import { resolveSpec } from './lemur-model';

const model: LemurModel = {
  apiVersion: 'lemur.dev/v1alpha1',
  kind: 'LemurModel',
  metadata: { name: 'lemur-70b', namespace: 'ml', uid: '0b6f4a32-4c1e-4d0f-9a57-1f9e7f3c2a11', generation: 1 },
  spec: {
    modelName: 'OpenLemur/lemur-70b-v1',
    source: { huggingFace: { repo: 'OpenLemur/lemur-70b-v1', revision: 'abc123' } },
    engine: { image: 'vllm/vllm-openai:v0.11.0', tensorParallelSize: 4, maxModelLen: 4096, extraArgs: ['--enable-prefix-caching'] },
    minReplicas: 1,
    maxReplicas: 3,
    nodeSelector: { 'nvidia.com/gpu.product': 'A100' },
  },
};

describe('renderDeployment', () => {
  const dep = renderDeployment(model, { namespace: 'ml', replicas: 2 });
  const pod = dep.spec!.template.spec!;
  const container = pod.containers[0]!;

  it('runs vllm with the model, revision, parallelism and served name', () => {
    expect(container.args).toEqual([
      '--model', 'OpenLemur/lemur-70b-v1', '--revision', 'abc123', '--served-model-name', 'OpenLemur/lemur-70b-v1',
      '--tensor-parallel-size', '4', '--max-model-len', '4096', '--gpu-memory-utilization', '0.9',
      '--host', '0.0.0.0', '--port', '8000', '--enable-prefix-caching',
    ]);
    expect(dep.spec!.replicas).toBe(2);
  });

  it('requests tensorParallelSize GPUs (requests = limits) and a memory-backed /dev/shm', () => {
    expect(container.resources?.requests?.['nvidia.com/gpu']).toBe('4');
    expect(container.resources?.limits?.['nvidia.com/gpu']).toBe('4');
    expect(pod.volumes?.find((v) => v.name === 'dshm')?.emptyDir).toEqual({ medium: 'Memory', sizeLimit: '16Gi' });
    expect(container.volumeMounts).toContainEqual({ name: 'dshm', mountPath: '/dev/shm' });
  });

  it('bounds the download volume (200Gi unless the source says), so a download cannot fill the node', () => {
    expect(pod.volumes?.find((v) => v.name === 'hf-cache')?.emptyDir).toEqual({ sizeLimit: '200Gi' });
    const sized: LemurModel = { ...model, spec: { ...model.spec, source: { huggingFace: { repo: 'OpenLemur/lemur-70b-v1', revision: 'abc123', cacheSize: '300Gi' } } } };
    const volumes = renderDeployment(sized, { namespace: 'ml', replicas: 1 }).spec!.template.spec!.volumes;
    expect(volumes?.find((v) => v.name === 'hf-cache')?.emptyDir).toEqual({ sizeLimit: '300Gi' });
  });

  it('gives a 70B load at least 30 minutes before the startup probe gives up, and probes readiness on /health', () => {
    const startup = container.startupProbe!;
    expect(startup.httpGet?.path).toBe('/health');
    expect(startup.failureThreshold! * startup.periodSeconds!).toBeGreaterThanOrEqual(30 * 60);
    expect(container.readinessProbe?.httpGet?.path).toBe('/health');
  });

  it('is owned by the LemurModel, labelled, non-root, and placed by the node selector', () => {
    expect(dep.metadata?.ownerReferences).toEqual([{ apiVersion: 'lemur.dev/v1alpha1', kind: 'LemurModel', name: 'lemur-70b', uid: model.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    expect(dep.metadata?.labels).toMatchObject({ 'app.kubernetes.io/instance': 'lemur-70b', 'app.kubernetes.io/managed-by': 'lemur-inference' });
    expect(dep.spec!.selector.matchLabels).toEqual(Object.fromEntries(Object.entries(dep.spec!.selector.matchLabels!).filter(([k]) => dep.spec!.template.metadata!.labels![k] !== undefined)));
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(pod.nodeSelector).toEqual({ 'nvidia.com/gpu.product': 'A100' });
  });

  it('changes the spec hash with the spec but not with the replica count', () => {
    const hash = dep.metadata?.annotations?.[ANNOTATIONS.specHash];
    expect(renderDeployment(model, { namespace: 'ml', replicas: 5 }).metadata?.annotations?.[ANNOTATIONS.specHash]).toBe(hash);
    const bigger = { ...model, spec: { ...model.spec, engine: { ...model.spec.engine, maxModelLen: 8192 } } };
    expect(renderDeployment(bigger, { namespace: 'ml', replicas: 2 }).metadata?.annotations?.[ANNOTATIONS.specHash]).not.toBe(hash);
  });

  it('mounts a PVC read-only for PVC weights and passes a chat template', () => {
    const pvc = { ...model, spec: { ...model.spec, source: { pvc: { claimName: 'weights', path: '/lemur-70b' } }, engine: { ...model.spec.engine, chatTemplate: '{{ x }}' } } };
    const args = engineArgs(resolveSpec(pvc.spec));
    expect(args.slice(0, 2)).toEqual(['--model', '/models/lemur-70b']);
    expect(args).not.toContain('--revision');
    expect(args.slice(args.indexOf('--chat-template'), args.indexOf('--chat-template') + 2)).toEqual(['--chat-template', '{{ x }}']);
    const rendered = renderDeployment(pvc, { namespace: 'ml', replicas: 1 }).spec!.template.spec!;
    expect(rendered.volumes).toContainEqual({ name: 'weights', persistentVolumeClaim: { claimName: 'weights', readOnly: true } });
  });

  it('refuses to render a model that was never stored (no uid for the owner reference)', () => {
    expect(() => renderDeployment({ ...model, metadata: { name: 'x' } }, { namespace: 'ml', replicas: 1 })).toThrow(/uid/);
  });
});

describe('renderService and names', () => {
  it('selects the pods on the named http port', () => {
    const svc = renderService(model, { namespace: 'ml' });
    expect(svc.spec?.selector).toEqual(renderDeployment(model, { namespace: 'ml', replicas: 1 }).spec!.selector.matchLabels);
    expect(svc.spec?.ports).toEqual([{ name: 'http', port: 8000, targetPort: 'http', protocol: 'TCP' }]);
  });

  it('turns any LemurModel name into a valid DNS-1035 Service name', () => {
    expect(workloadName('lemur-70b')).toBe('lemur-70b');
    for (const name of ['70b.chat', 'a'.repeat(200), '1-2-3']) expect(workloadName(name)).toMatch(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/);
    expect(workloadName('70b.chat')).not.toBe(workloadName('70b-chat'));
  });
});
