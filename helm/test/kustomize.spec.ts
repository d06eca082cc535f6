import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type KubeObject, loadCrdFiles } from '@lemur/shared-testing';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from '../scripts/render-kustomize';
import { kustomize, objectId, ROOT } from './support/kube-render';
import { egressAllowsAddressPort, policiesFor } from './support/network-policy';
import { podPolicyViolations, podTemplates, rbacViolations, restrictedViolations } from './support/pod-policy';
import { validateRenderedObject } from './support/validate-objects';

type Json = Record<string, unknown>;
const NAMESPACE = 'lemur';
const crds = loadCrdFiles(join(ROOT, 'k8s/crds'));
const overlays: Record<string, KubeObject[]> = { dev: kustomize(join(ROOT, 'k8s/overlays/dev')), prod: kustomize(join(ROOT, 'k8s/overlays/prod')) };
const find = (objects: KubeObject[], kind: string, name: string): KubeObject => {
  const obj = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!obj) throw new Error(`${kind} ${name} missing`);
  return obj;
};
const envOf = (deployment: KubeObject): Record<string, unknown> =>
  Object.fromEntries(((((((deployment['spec'] as Json)['template'] as Json)['spec'] as Json)['containers'] as Json[])[0] as Json)['env'] as Json[]).map((e) => [e['name'], e['value'] ?? e['valueFrom']]));

describe('k8s/ kustomize manifests', () => {
  it('are what the chart renders now (run helm/scripts/render-kustomize.ts after changing the chart)', () => {
    for (const [path, content] of Object.entries(generatedFiles())) expect(readFileSync(join(ROOT, path), 'utf8'), path).toBe(content);
  });

  it.each(Object.keys(overlays))('%s: every object passes the Kubernetes schemas (LemurModels the CRD) and sits in the lemur namespace', async (name) => {
    const objects = overlays[name]!;
    const problems: string[] = [];
    for (const obj of objects) {
      for (const error of await validateRenderedObject(obj, objects, crds)) problems.push(`${objectId(obj)} ${error.field}: ${error.message}`);
      if (!['CustomResourceDefinition', 'Namespace'].includes(String(obj.kind)) && obj.metadata?.namespace !== NAMESPACE) problems.push(`${objectId(obj)} not in ${NAMESPACE}`);
    }
    expect(problems).toEqual([]);
    expect(find(objects, 'Namespace', NAMESPACE).metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
  });

  it.each(Object.keys(overlays))('%s: pods pass the pod policy and Pod Security restricted; RBAC is namespaced and wildcard-free', (name) => {
    const pods = podTemplates(overlays[name]!);
    expect(pods.flatMap(podPolicyViolations)).toEqual([]);
    for (const pod of pods) expect(restrictedViolations(pod.spec), objectId(pod.owner)).toEqual([]);
    expect(rbacViolations(overlays[name]!)).toEqual([]);
  });

  it.each(Object.keys(overlays))('%s: every pod is under default deny and only database users reach the database', (name) => {
    const objects = overlays[name]!;
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    const pods = podTemplates(objects);
    for (const pod of pods) {
      expect(policiesFor(policies, NAMESPACE, pod.labels, 'Ingress', NAMESPACE), objectId(pod.owner)).not.toEqual([]);
      expect(policiesFor(policies, NAMESPACE, pod.labels, 'Egress', NAMESPACE), objectId(pod.owner)).not.toEqual([]);
    }
    const reaching = pods.filter((p) => egressAllowsAddressPort(policies, NAMESPACE, p.labels, 5432, NAMESPACE)).map((p) => p.labels['app.kubernetes.io/component']);
    expect(reaching.sort()).toEqual(['eval', 'eval-worker', 'gateway', 'inference', 'migrate']);
  });

  it('dev: serves the simulator as a static model, runc sandboxes, one replica each, no autoscaler', () => {
    const objects = overlays['dev']!;
    find(objects, 'Deployment', 'lemur-vllm-sim');
    const inference = envOf(find(objects, 'Deployment', 'lemur-inference'));
    expect(inference['INFERENCE_KUBERNETES']).toBe('false');
    const registry = JSON.parse(String((find(objects, 'ConfigMap', 'lemur-inference-models')['data'] as Json)['models.json'])) as Json;
    expect(registry).toEqual({ models: [{ name: 'lemur-sim', endpoints: ['http://lemur-vllm-sim.lemur.svc:8000'] }] });
    expect(JSON.parse(String(envOf(find(objects, 'Deployment', 'lemur-sandbox'))['SANDBOX_K8S_TEMPLATE']))).toMatchObject({ runtimeClassName: '' });
    expect(objects.filter((o) => o.kind === 'HorizontalPodAutoscaler' || o.kind === 'LemurModel')).toEqual([]);
    for (const d of objects.filter((o) => o.kind === 'Deployment')) expect((d['spec'] as Json)['replicas'], objectId(d)).toBe(1);
  });

  it('prod: the inference service controls the example LemurModels on vLLM, with more gateway and sandbox replicas', () => {
    const objects = overlays['prod']!;
    const models = objects.filter((o) => o.kind === 'LemurModel');
    expect(models.map((m) => m.metadata?.name).sort()).toEqual(['lemur-70b', 'lemur-70b-chat']);
    for (const m of models) expect(((m['spec'] as Json)['engine'] as Json)['image']).toMatch(/^vllm\/vllm-openai:v/);
    const inference = envOf(find(objects, 'Deployment', 'lemur-inference'));
    expect([inference['INFERENCE_KUBERNETES'], inference['INFERENCE_KUBERNETES_NAMESPACE']]).toEqual(['true', NAMESPACE]);
    expect((find(objects, 'Deployment', 'lemur-gateway')['spec'] as Json)['replicas']).toBe(3);
    find(objects, 'HorizontalPodAutoscaler', 'lemur-eval-worker');
    expect(objects.some((o) => o.kind === 'Deployment' && o.metadata?.name === 'lemur-vllm-sim')).toBe(false);
    // The RBAC the inference pods run with is the one k8s/rbac defines.
    const sa = ((((find(objects, 'Deployment', 'lemur-inference')['spec'] as Json)['template'] as Json)['spec'] as Json)['serviceAccountName']);
    expect(find(objects, 'RoleBinding', 'lemur-inference-controller')['subjects']).toEqual([{ kind: 'ServiceAccount', name: sa, namespace: NAMESPACE }]);
  });
});
