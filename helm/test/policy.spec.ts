import { join } from 'node:path';
import { type LemurModel, renderDeployment } from '@lemur/model-serving';
import { DEFAULT_SANDBOX_POD_TEMPLATE, renderSandboxPod } from '@lemur/sandbox-policy';
import { type KubeObject, loadCrdFiles } from '@lemur/shared-testing';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { helmTemplate, objectId, RELEASE, ROOT, VALUE_SETS } from './support/kube-render';
import { egressAllowsAddressPort, egressAllowsPodPort, egressRules, policiesFor } from './support/network-policy';
import { podPolicyViolations, podTemplates, rbacViolations, restrictedViolations } from './support/pod-policy';
import { validateRenderedObject } from './support/validate-objects';

type Json = Record<string, unknown>;
const renders: Record<string, KubeObject[]> = Object.fromEntries(Object.entries(VALUE_SETS).map(([name, files]) => [name, helmTemplate(files)]));
const componentOf = (labels: Record<string, string>): string => labels['app.kubernetes.io/component'] ?? '?';

describe('pod policy (every value set)', () => {
  it.each(Object.keys(VALUE_SETS))('%s: every pod is non-root, read-only, unprivileged, pinned, with requests, limits and probes', (name) => {
    const pods = podTemplates(renders[name]!);
    expect(pods.length).toBeGreaterThanOrEqual(6);
    expect(pods.flatMap(podPolicyViolations)).toEqual([]);
  });

  it.each(Object.keys(VALUE_SETS))('%s: every pod meets Pod Security restricted', (name) => {
    for (const pod of podTemplates(renders[name]!)) expect(restrictedViolations(pod.spec), objectId(pod.owner)).toEqual([]);
  });

  it('catches each violation it is meant to catch (the checks can fail)', () => {
    const deployment = renders['defaults']!.find((o) => o.kind === 'Deployment' && o.metadata?.name === 'lemur-gateway')!;
    const bad = structuredClone(deployment);
    const spec = ((bad['spec'] as Json)['template'] as Json)['spec'] as Json;
    const c = (spec['containers'] as Json[])[0] as Json;
    c['image'] = 'ghcr.io/lemur-platform/lemur:latest';
    c['securityContext'] = { privileged: true, runAsNonRoot: false };
    c['resources'] = { requests: { cpu: '1' } };
    delete c['livenessProbe'];
    spec['hostNetwork'] = true;
    spec['volumes'] = [{ name: 'root', hostPath: { path: '/' } }];
    const violations = podPolicyViolations(podTemplates([bad])[0]!).join('\n');
    for (const expected of ['hostNetwork', 'hostPath volume root', 'runAsNonRoot is not true', 'privileged', 'readOnlyRootFilesystem is not true', 'capabilities do not drop ALL', 'untagged or latest', 'no requests.memory', 'no limits.cpu', 'no livenessProbe']) {
      expect(violations).toContain(expected);
    }
    expect(restrictedViolations(spec).join('\n')).toMatch(/hostNetwork[\s\S]*volume type hostPath[\s\S]*privileged/);
    expect(podPolicyViolations(podTemplates([{ ...bad, spec: { template: { spec: { containers: [{ ...c, image: 'redis' }] } } } }])[0]!).join()).toContain('untagged');
  });

  it('the schema validation rejects a malformed object (the validation can fail)', async () => {
    const deployment = structuredClone(renders['defaults']!.find((o) => o.kind === 'Deployment')!);
    (((deployment['spec'] as Json)['template'] as Json)['spec'] as Json)['containers'] = [{ name: 'x', image: 'a:1', ports: [{ containerPort: 'http' }] }];
    expect(await validateRenderedObject(deployment, [deployment], [])).not.toEqual([]);
    const ingress = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'x' }, spec: { rules: [{ http: { paths: [{ path: '/' }] } }] } };
    expect(await validateRenderedObject(ingress, [ingress], [])).not.toEqual([]);
    const rule = { apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'x' }, spec: { groups: [{ name: 'g', rules: [{ alert: 'A', record: 'b', expr: '' }] }] } };
    expect((await validateRenderedObject(rule, [rule], [])).map((e) => e.message)).toEqual(['needs exactly one of alert and record', 'required']);
  });

  it('the pods the services create at run time meet restricted too: vLLM replicas (models namespace) and sandbox pods', () => {
    const crds = loadCrdFiles(join(ROOT, 'k8s/crds'));
    expect(crds).toHaveLength(1);
    for (const file of ['lemur-70b.yaml', 'lemur-70b-chat.yaml']) {
      const model = parse(readFileSync(join(ROOT, 'k8s/examples', file), 'utf8')) as LemurModel;
      model.metadata = { ...model.metadata, uid: '00000000-0000-0000-0000-000000000001' };
      const vllm = renderDeployment(model, { namespace: 'lemur-models', replicas: 1 });
      const spec = vllm.spec?.template.spec as unknown as Json;
      // GPUs come as the device plugin's extended resource: nothing privileged, no hostPath.
      expect(JSON.stringify(spec)).toContain('nvidia.com/gpu');
      expect(restrictedViolations(spec)).toEqual([]);
    }
    const sandboxPod = renderSandboxPod({ template: { ...DEFAULT_SANDBOX_POD_TEMPLATE, image: 'r/runner:1' }, namespace: 'lemur-sandbox', pool: 'p', owner: null, runnerEnv: {}, now: new Date(0) });
    expect(restrictedViolations(sandboxPod.spec as unknown as Json)).toEqual([]);
  });
});

describe('RBAC', () => {
  it.each(Object.keys(VALUE_SETS))('%s: namespaced Roles only, no wildcards, no Secrets, no privilege-granting verbs', (name) => {
    expect(rbacViolations(renders[name]!)).toEqual([]);
  });

  it('grants inference exactly its CRD, Deployments, Services, Pods (read), EndpointSlices and its leader Lease in the models namespace', () => {
    const role = renders['defaults']!.find((o) => o.kind === 'Role' && o.metadata?.name === 'lemur-inference-controller')!;
    expect(role.metadata?.namespace).toBe('lemur-models');
    const resources = ((role['rules'] as Json[]) ?? []).flatMap((r) => r['resources'] as string[]).sort();
    expect(resources).toEqual(['deployments', 'endpointslices', 'leases', 'lemurmodels', 'lemurmodels/status', 'pods', 'services']);
    const write = ((role['rules'] as Json[]) ?? []).filter((r) => (r['verbs'] as string[]).includes('create')).flatMap((r) => r['resources'] as string[]);
    expect(write.sort()).toEqual(['deployments', 'leases', 'services']);
  });

  it('grants sandbox only Pods and NetworkPolicies in the sandbox namespace', () => {
    const role = renders['defaults']!.find((o) => o.kind === 'Role' && o.metadata?.name === 'lemur-sandbox-pool')!;
    expect(role.metadata?.namespace).toBe('lemur-sandbox');
    expect(((role['rules'] as Json[]) ?? []).flatMap((r) => r['resources'] as string[]).sort()).toEqual(['networkpolicies', 'pods']);
  });

  it('binds each Role to its service account only, and mounts a token only where the API is used', () => {
    const objects = renders['defaults']!;
    const bindings = objects.filter((o) => o.kind === 'RoleBinding');
    expect(bindings.map((b) => [(b['subjects'] as Json[])[0], b.metadata?.namespace])).toEqual([
      [{ kind: 'ServiceAccount', name: 'lemur-inference', namespace: RELEASE.namespace }, 'lemur-models'],
      [{ kind: 'ServiceAccount', name: 'lemur-sandbox-service', namespace: RELEASE.namespace }, 'lemur-sandbox'],
    ]);
    const mounting = podTemplates(objects)
      .filter((p) => p.spec['automountServiceAccountToken'] !== false)
      .map((p) => p.owner.metadata?.name)
      .sort();
    expect(mounting).toEqual(['lemur-inference', 'lemur-sandbox']);
  });
});

describe('NetworkPolicies', () => {
  const policiesOf = (objects: KubeObject[]) => objects.filter((o) => o.kind === 'NetworkPolicy');

  it.each(Object.keys(VALUE_SETS))('%s: every pod is under a policy for both directions (default deny)', (name) => {
    const policies = policiesOf(renders[name]!);
    for (const pod of podTemplates(renders[name]!)) {
      expect(policiesFor(policies, RELEASE.namespace, pod.labels, 'Ingress', RELEASE.namespace), objectId(pod.owner)).not.toEqual([]);
      expect(policiesFor(policies, RELEASE.namespace, pod.labels, 'Egress', RELEASE.namespace), objectId(pod.owner)).not.toEqual([]);
    }
  });

  it.each(Object.keys(VALUE_SETS))('%s: only the services that use the database reach it', (name) => {
    const objects = renders[name]!;
    const policies = policiesOf(objects);
    const reaching = podTemplates(objects)
      .filter((pod) => egressAllowsAddressPort(policies, RELEASE.namespace, pod.labels, 5432, RELEASE.namespace))
      .map((pod) => componentOf(pod.labels))
      .sort();
    expect(reaching).toEqual(['eval', 'eval-worker', 'gateway', 'inference', 'migrate']);
  });

  it.each(['production', 'simulator'])('%s: only the sandbox service reaches MariaDB, and MariaDB opens no connection', (name) => {
    const objects = renders[name]!;
    const policies = policiesOf(objects);
    const pods = podTemplates(objects);
    const mariadb = pods.find((pod) => componentOf(pod.labels) === 'mariadb')!;
    const target = { labels: mariadb.labels, namespace: RELEASE.namespace };
    const reaching = pods.filter((pod) => egressAllowsPodPort(policies, RELEASE.namespace, pod.labels, 3306, target, RELEASE.namespace)).map((pod) => componentOf(pod.labels));
    expect(reaching).toEqual(['sandbox']);
    const ingress = policiesFor(policies, RELEASE.namespace, mariadb.labels, 'Ingress', RELEASE.namespace).flatMap((p) => ((p['spec'] as Json)['ingress'] as Json[] | undefined) ?? []);
    expect(ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'lemur', 'app.kubernetes.io/instance': 'lemur', 'app.kubernetes.io/component': 'sandbox' } } }], ports: [{ protocol: 'TCP', port: 3306 }] }]);
    // Name resolution is all it may send (the release-wide DNS policy).
    expect(egressRules(policies, RELEASE.namespace, mariadb.labels, RELEASE.namespace).flatMap((r) => (r['ports'] as Json[]).map((p) => p['port']))).toEqual([53, 53]);
  });

  it('lets inference reach the database with its cache off too (it reads the teams\' token quotas there)', () => {
    const objects = helmTemplate([], ['inference.cache.enabled=false']);
    const inference = podTemplates(objects).find((p) => componentOf(p.labels) === 'inference')!;
    expect(egressAllowsAddressPort(policiesOf(objects), RELEASE.namespace, inference.labels, 5432, RELEASE.namespace)).toBe(true);
    const env = ((inference.spec['containers'] as Json[])[0]!['env'] as Json[]).map((e) => e['name']);
    expect(env).toContain('DATABASE_URL');
  });

  it('lets eval reach HTTPS beyond the platform for datasets or webhooks, and nothing beyond it with both off', () => {
    const evalPods = (objects: KubeObject[]) => podTemplates(objects).filter((p) => componentOf(p.labels) === 'eval');
    for (const [set, reaches] of [
      [[], true],
      [['eval.datasets.download=false'], true],
      [['eval.webhooks.httpsEgress=false'], true],
      [['eval.datasets.download=false', 'eval.webhooks.httpsEgress=false'], false],
    ] as const) {
      const objects = helmTemplate([], [...set]);
      expect(evalPods(objects).length).toBeGreaterThan(0);
      for (const pod of evalPods(objects)) expect(egressAllowsAddressPort(policiesOf(objects), RELEASE.namespace, pod.labels, 443, RELEASE.namespace)).toBe(reaches);
    }
  });

  it.each(Object.keys(VALUE_SETS))('%s: sandbox pods reach nothing and only the sandbox service reaches them', (name) => {
    const policies = policiesOf(renders[name]!);
    const sandboxPod = { 'app.kubernetes.io/name': 'lemur-sandbox', 'sandbox.lemur.dev/template': 'default', 'sandbox.lemur.dev/pool': 'lemur' };
    expect(policiesFor(policies, 'lemur-sandbox', sandboxPod, 'Egress', RELEASE.namespace)).not.toEqual([]);
    expect(egressRules(policies, 'lemur-sandbox', sandboxPod, RELEASE.namespace)).toEqual([]);
    const ingress = policiesFor(policies, 'lemur-sandbox', sandboxPod, 'Ingress', RELEASE.namespace).flatMap((p) => ((p['spec'] as Json)['ingress'] as Json[] | undefined) ?? []);
    expect(ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'lemur', 'app.kubernetes.io/instance': 'lemur', 'app.kubernetes.io/component': 'sandbox' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': RELEASE.namespace } } }],
        ports: [{ protocol: 'TCP', port: 50051 }],
      },
    ]);
    // Any other pod dropped into the sandbox namespace is denied both ways.
    expect(egressRules(policies, 'lemur-sandbox', { app: 'intruder' }, RELEASE.namespace)).toEqual([]);
  });

  it('labels the sandbox service pods the way SANDBOX_K8S_SERVICE_LABELS tells the service (its own policy admits them)', () => {
    const sandbox = podTemplates(renders['defaults']!).find((p) => componentOf(p.labels) === 'sandbox')!;
    const env = ((sandbox.spec['containers'] as Json[])[0]!['env'] as Json[]).find((e) => e['name'] === 'SANDBOX_K8S_SERVICE_LABELS')!;
    for (const pair of String(env['value']).split(',')) {
      const [key, value] = pair.split('=');
      expect(sandbox.labels[key!]).toBe(value);
    }
  });
});
