import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type LemurModel, renderDeployment, renderService } from '@lemur/model-serving';
import { loadCrdFiles, validateKubernetesObject } from '@lemur/shared-testing';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = resolve(__dirname, '../../../..');
const crds = loadCrdFiles(join(ROOT, 'k8s/crds'));
const example = (file: string): LemurModel => parse(readFileSync(join(ROOT, 'k8s/examples', file), 'utf8')) as LemurModel;
const EXAMPLES = ['lemur-70b.yaml', 'lemur-70b-chat.yaml'];

describe('the LemurModel CRD and its examples', () => {
  it('is a valid apiextensions.k8s.io/v1 CustomResourceDefinition with a structural schema', async () => {
    const crd = crds.find((c) => c.metadata?.name === 'lemurmodels.lemur.dev');
    expect(crd).toBeDefined();
    expect(await validateKubernetesObject(crd!)).toEqual([]);
    expect(crd!.spec.versions[0]?.subresources?.status).toEqual({});
  });

  it.each(EXAMPLES)('accepts the example %s: Lemur-70B on 4 GPUs with tensor parallelism', async (file) => {
    const model = example(file);
    expect(await validateKubernetesObject(model as never, crds)).toEqual([]);
    expect(model.spec.engine.tensorParallelSize).toBe(4);
    expect(model.spec.modelName).toMatch(/^OpenLemur\/lemur-70b(-chat)?-v1$/);
  });

  const base = example('lemur-70b.yaml');
  /** The spec as plain JSON, so a test can write values the TypeScript type would not allow. */
  type LooseSpec = { engine: Record<string, unknown>; source: Record<string, unknown>; [field: string]: unknown };
  const withSpec = (patch: (spec: LooseSpec) => void): LemurModel => {
    const copy = structuredClone(base) as unknown as { spec: LooseSpec };
    patch(copy.spec);
    return copy as unknown as LemurModel;
  };
  it.each([
    ['an image tagged latest', (s: LooseSpec) => (s['engine'].image = 'vllm/vllm-openai:latest')],
    ['an untagged image', (s: LooseSpec) => (s['engine'].image = 'registry.local:5000/vllm/vllm-openai')],
    ['two weight sources', (s: LooseSpec) => (s['source'].pvc = { claimName: 'w', path: '/m' })],
    ['no weight source', (s: LooseSpec) => (s['source'] = {})],
    ['gpuMemoryUtilization above 1', (s: LooseSpec) => (s['engine'].gpuMemoryUtilization = 1.5)],
    ['a tensor parallel size of 3', (s: LooseSpec) => (s['engine'].tensorParallelSize = 3)],
    ['an unknown field (a typo)', (s: LooseSpec) => (s['engine'].maxModelLength = 4096)],
    ['a negative minReplicas', (s: LooseSpec) => (s['minReplicas'] = -1)],
  ])('rejects %s', async (_what, patch) => {
    expect(await validateKubernetesObject(withSpec(patch) as never, crds)).not.toEqual([]);
  });

  it('accepts a digest-pinned image and PVC weights', async () => {
    const model = withSpec((s: LooseSpec) => {
      s['engine'].image = `vllm/vllm-openai@sha256:${'a'.repeat(64)}`;
      s['source'] = { pvc: { claimName: 'lemur-weights', path: '/lemur-70b-v1' } };
    });
    expect(await validateKubernetesObject(model as never, crds)).toEqual([]);
  });

  it('ships RBAC for the controller that passes the Kubernetes schemas and grants what it uses', async () => {
    const docs = parseAllDocuments(readFileSync(join(ROOT, 'k8s/rbac/inference-controller.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string; rules?: { resources: string[]; verbs: string[] }[] });
    for (const doc of docs) expect(await validateKubernetesObject(doc as never)).toEqual([]);
    const rules = docs.find((d) => d.kind === 'Role')?.rules ?? [];
    const allowed = (resource: string, verb: string) => rules.some((r) => r.resources.includes(resource) && r.verbs.includes(verb));
    for (const resource of ['lemurmodels', 'deployments', 'services', 'pods', 'endpointslices']) expect(allowed(resource, 'watch')).toBe(true);
    expect(allowed('lemurmodels/status', 'patch')).toBe(true);
    expect(allowed('deployments', 'update')).toBe(true);
  });

  it.each(EXAMPLES)('renders a Deployment and Service for %s that pass the Kubernetes schemas', async (file) => {
    const model = { ...example(file), metadata: { ...example(file).metadata, namespace: 'lemur', uid: '6f1c1d2e-0a4b-4c39-9d7e-2b1f0c3d4e5f' } };
    expect(await validateKubernetesObject(renderDeployment(model, { namespace: 'lemur', replicas: 2 }) as never)).toEqual([]);
    expect(await validateKubernetesObject(renderService(model, { namespace: 'lemur' }) as never)).toEqual([]);
  });
});
