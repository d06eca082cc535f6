import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { type KubeObject, loadCrdFiles } from '@lemur/shared-testing';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CHART, helmTemplate, objectId, parseObjects, RELEASE, ROOT, runTool, VALUE_SETS } from './support/kube-render';
import { validateRenderedObject } from './support/validate-objects';

type Json = Record<string, unknown>;
const crds = loadCrdFiles(join(ROOT, 'k8s/crds'));
const renders: Record<string, KubeObject[]> = Object.fromEntries(Object.entries(VALUE_SETS).map(([name, files]) => [name, helmTemplate(files)]));
const find = (objects: KubeObject[], kind: string, name: string): KubeObject | undefined => objects.find((o) => o.kind === kind && o.metadata?.name === name);
const mustFind = (objects: KubeObject[], kind: string, name: string): KubeObject => {
  const obj = find(objects, kind, name);
  if (!obj) throw new Error(`${kind} ${name} not rendered; rendered: ${objects.map(objectId).join(', ')}`);
  return obj;
};
const podSpec = (obj: KubeObject): Json => ((obj['spec'] as Json)['template'] as Json)['spec'] as Json;
const container = (obj: KubeObject, index = 0): Json => (podSpec(obj)['containers'] as Json[])[index] as Json;
const envOf = (obj: KubeObject): Record<string, Json> => Object.fromEntries(((container(obj)['env'] as Json[]) ?? []).map((e) => [String(e['name']), e]));

describe('helm lint', () => {
  it.each(Object.entries(VALUE_SETS))('passes with --strict for the %s values', (_name, files) => {
    const result = runTool('helm', ['lint', CHART, '--strict', ...files.flatMap((f) => ['-f', f])]);
    expect(result.stdout + result.stderr).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(result.status).toBe(0);
  });
});

describe('helm template', () => {
  it.each(Object.keys(VALUE_SETS))('renders %s values into objects that pass the Kubernetes schemas', async (name) => {
    const objects = renders[name]!;
    const problems: string[] = [];
    for (const obj of objects) {
      for (const error of await validateRenderedObject(obj, objects, crds)) problems.push(`${objectId(obj)} ${error.field}: ${error.message}`);
    }
    expect(problems).toEqual([]);
    expect(objects.length).toBeGreaterThan(30);
  });

  it('installs gateway, inference, sandbox, eval API and eval workers, each with a Service, and no simulator by default', () => {
    const objects = renders['defaults']!;
    for (const component of ['gateway', 'inference', 'sandbox', 'eval', 'eval-worker']) {
      const deployment = mustFind(objects, 'Deployment', `lemur-${component}`);
      expect(container(deployment)['image']).toBe('ghcr.io/lemur-platform/lemur:0.1.0');
      mustFind(objects, 'Service', `lemur-${component}`);
      mustFind(objects, 'PodDisruptionBudget', `lemur-${component}`);
    }
    expect(find(objects, 'Deployment', 'lemur-vllm-sim')).toBeUndefined();
    expect(objects.filter((o) => o.kind === 'Ingress')).toEqual([]);
  });

  it('runs MariaDB for InterCode-SQL only when asked: a hardened StatefulSet with its own volume, reached by name', () => {
    expect(find(renders['defaults']!, 'StatefulSet', 'lemur-mariadb')).toBeUndefined();
    const objects = renders['production']!;
    const mariadb = mustFind(objects, 'StatefulSet', 'lemur-mariadb');
    expect(mustFind(objects, 'Service', 'lemur-mariadb')['spec']).toMatchObject({ ports: [{ name: 'mysql', port: 3306, targetPort: 'mysql' }] });
    expect(container(mariadb)).toMatchObject({ image: 'docker.io/library/mariadb:11.4.4', args: expect.arrayContaining(['--lower-case-table-names=1']) });
    // The root password only ever comes from the Secret, in the server's env and in the sandbox service's.
    expect(envOf(mariadb)['MARIADB_ROOT_PASSWORD']).toEqual({ name: 'MARIADB_ROOT_PASSWORD', valueFrom: { secretKeyRef: { name: 'lemur-mariadb', key: 'MARIADB_ROOT_PASSWORD' } } });
    expect(((mariadb['spec'] as Json)['volumeClaimTemplates'] as Json[])[0]).toMatchObject({ spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'fast-ssd', resources: { requests: { storage: '8Gi' } } } });
    expect(podSpec(mariadb)['automountServiceAccountToken']).toBe(false);
    // The sandbox service mounts the datasets claim read-only only for the dump, and only when MariaDB is on.
    const sandboxVolumes = (deployment: KubeObject) => (podSpec(deployment)['volumes'] as Json[]).map((v) => v['name']);
    expect(sandboxVolumes(mustFind(objects, 'Deployment', 'lemur-sandbox'))).toEqual(['tmp', 'datasets']);
    expect(sandboxVolumes(mustFind(renders['defaults']!, 'Deployment', 'lemur-sandbox'))).toEqual(['tmp']);
    expect(JSON.stringify(renders['defaults']!.map((o) => o.kind === 'Deployment' && o.metadata?.name === 'lemur-sandbox' ? o : null))).not.toContain('MYSQL');
  });

  it('runs each service from its main file, with gRPC listening on all interfaces', () => {
    const objects = renders['defaults']!;
    const expectArgs = (name: string, main: string) => expect(container(mustFind(objects, 'Deployment', name))['args']).toEqual([main]);
    expectArgs('lemur-gateway', 'apps/gateway/src/main.ts');
    expectArgs('lemur-inference', 'apps/inference/src/main.ts');
    expectArgs('lemur-sandbox', 'apps/sandbox/src/main.ts');
    expectArgs('lemur-eval', 'apps/eval/src/main.ts');
    expect(envOf(mustFind(objects, 'Deployment', 'lemur-inference'))['INFERENCE_GRPC_URL']?.['value']).toBe('0.0.0.0:50051');
    expect(envOf(mustFind(objects, 'Deployment', 'lemur-gateway'))['GATEWAY_HOST']?.['value']).toBe('0.0.0.0');
    const evalApi = envOf(mustFind(objects, 'Deployment', 'lemur-eval'));
    const workers = envOf(mustFind(objects, 'Deployment', 'lemur-eval-worker'));
    expect([evalApi['EVAL_SERVE_API']?.['value'], evalApi['EVAL_WORKERS']?.['value']]).toEqual(['true', 'false']);
    expect([workers['EVAL_SERVE_API']?.['value'], workers['EVAL_WORKERS']?.['value']]).toEqual(['false', 'true']);
    expect(evalApi['INFERENCE_ADDR']?.['value']).toBe('lemur-inference.lemur.svc:50051');
  });

  it('probes gRPC services with the grpc.health.v1 service they serve', () => {
    for (const name of ['lemur-inference', 'lemur-sandbox', 'lemur-eval']) {
      const c = container(mustFind(renders['defaults']!, 'Deployment', name));
      const port = ((c['ports'] as Json[]).find((p) => p['name'] === 'grpc') as Json)['containerPort'];
      expect(c['readinessProbe']).toMatchObject({ grpc: { port } });
      expect(c['livenessProbe']).toMatchObject({ grpc: { port } });
    }
  });

  it('gives eval workers a grace period that covers a sample in flight, and the same timeout in their env', () => {
    for (const [set, timeoutSeconds] of [['defaults', 1800], ['production', 1800], ['simulator', 120]] as const) {
      const workers = mustFind(renders[set]!, 'Deployment', 'lemur-eval-worker');
      expect(podSpec(workers)['terminationGracePeriodSeconds']).toBe(timeoutSeconds + 30);
      expect(envOf(workers)['EVAL_SAMPLE_TIMEOUT_MS']?.['value']).toBe(String(timeoutSeconds * 1000));
    }
  });

  it("tells eval the inference service's cold-start wait, and nothing to wait for when inference does not scale models", () => {
    for (const [set, coldStartMs] of [['defaults', 900_000], ['production', 900_000], ['simulator', 0]] as const) {
      for (const name of ['lemur-eval', 'lemur-eval-worker']) {
        const evalEnv = envOf(mustFind(renders[set]!, 'Deployment', name));
        expect(evalEnv['EVAL_INFERENCE_COLD_START_MS']?.['value']).toBe(String(coldStartMs));
      }
      if (coldStartMs > 0) {
        const inference = envOf(mustFind(renders[set]!, 'Deployment', 'lemur-inference'));
        expect(inference['INFERENCE_COLD_START_TIMEOUT_MS']?.['value']).toBe(String(coldStartMs));
      }
    }
  });

  it('scales eval workers on the backlog metric the eval service exports', () => {
    const hpa = mustFind(renders['defaults']!, 'HorizontalPodAutoscaler', 'lemur-eval-worker');
    const spec = hpa['spec'] as Json;
    expect(spec['scaleTargetRef']).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'lemur-eval-worker' });
    const metric = ((spec['metrics'] as Json[])[0] as Json)['external'] as Json;
    const name = (metric['metric'] as Json)['name'] as string;
    expect(name).toBe('lemur_eval_backlog_samples');
    const sources = readdirSync(join(ROOT, 'apps/eval/src'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.metrics.ts'))
      .map((f) => readFileSync(join(ROOT, 'apps/eval/src', f), 'utf8'));
    expect(sources.some((s) => s.includes(`name: '${name}'`))).toBe(true);
    // A fixed replica count would fight the autoscaler.
    expect((mustFind(renders['defaults']!, 'Deployment', 'lemur-eval-worker')['spec'] as Json)['replicas']).toBeUndefined();
    expect(find(renders['simulator']!, 'HorizontalPodAutoscaler', 'lemur-eval-worker')).toBeUndefined();
  });

  it('migrates the database in a pre-install/pre-upgrade hook Job that runs scripts/migrate.ts', () => {
    const job = mustFind(renders['defaults']!, 'Job', 'lemur-migrate');
    expect(job.metadata?.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(container(job)['args']).toEqual(['scripts/migrate.ts']);
    expect(envOf(job)['DATABASE_URL']).toEqual({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'lemur-database', key: 'DATABASE_URL' } } });
    expect(podSpec(job)['restartPolicy']).toBe('Never');
  });

  it('takes every secret by reference: no Secret objects, no secret-looking values in env or ConfigMaps', () => {
    for (const [set, objects] of Object.entries(renders)) {
      expect(objects.filter((o) => o.kind === 'Secret'), set).toEqual([]);
      for (const obj of objects.filter((o) => ['Deployment', 'Job'].includes(String(o.kind)))) {
        for (const e of (container(obj)['env'] as Json[]) ?? []) {
          if (/DATABASE_URL|KEY|TOKEN|PASSWORD|SECRET/.test(String(e['name']))) expect(e['valueFrom'], `${objectId(obj)} ${String(e['name'])}`).toBeDefined();
        }
      }
      for (const cm of objects.filter((o) => o.kind === 'ConfigMap')) {
        expect(JSON.stringify(cm['data'])).not.toMatch(/postgres(ql)?:\/\/[^"]*:[^"]*@|sk-[A-Za-z0-9]{16,}|"apiKey"/);
      }
    }
    const inference = envOf(mustFind(renders['production']!, 'Deployment', 'lemur-inference'));
    expect(inference['OPENAI_API_KEY']).toEqual({ name: 'OPENAI_API_KEY', valueFrom: { secretKeyRef: { name: 'lemur-model-keys', key: 'OPENAI_API_KEY' } } });
  });

  it('production: images by digest, TLS ingress, ServiceMonitors for every metrics port', () => {
    const objects = renders['production']!;
    for (const d of objects.filter((o) => o.kind === 'Deployment')) expect(container(d)['image']).toMatch(/^registry\.example\.com\/lemur\/lemur@sha256:[a-f0-9]{64}$/);
    const template = JSON.parse(String(envOf(mustFind(objects, 'Deployment', 'lemur-sandbox'))['SANDBOX_K8S_TEMPLATE']?.['value'])) as Json;
    expect(template['image']).toMatch(/^registry\.example\.com\/lemur\/lemur-sandbox-runner@sha256:/);
    const ingress = mustFind(objects, 'Ingress', 'lemur-gateway');
    expect((ingress['spec'] as Json)['tls']).toEqual([{ hosts: ['lemur.example.com'], secretName: 'lemur-example-com-tls' }]);
    const monitors = objects.filter((o) => o.kind === 'ServiceMonitor').map((o) => o.metadata?.name).sort();
    expect(monitors).toEqual(['lemur-eval', 'lemur-eval-worker', 'lemur-gateway', 'lemur-inference', 'lemur-sandbox']);
    // The controller's vLLM replicas have no Service of the chart: a PodMonitor in their namespace scrapes them.
    const vllm = objects.filter((o) => o.kind === 'PodMonitor');
    expect(vllm.map((o) => [o.metadata?.name, o.metadata?.namespace])).toEqual([['lemur-vllm', 'lemur-models']]);
  });

  it('defaults: two inference replicas that elect a controller leader by pod name, with the Lease RBAC it needs', () => {
    const objects = renders['defaults']!;
    const inference = mustFind(objects, 'Deployment', 'lemur-inference');
    expect((inference['spec'] as Json)['replicas']).toBe(2);
    expect(envOf(inference)['POD_NAME']).toEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    const rules = (mustFind(objects, 'Role', 'lemur-inference-controller')['rules'] as Json[]) ?? [];
    expect(rules.find((r) => (r['resources'] as string[]).includes('leases'))).toEqual({ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update', 'patch'] });
    expect(rules.find((r) => (r['resources'] as string[]).includes('lemurmodels'))?.['verbs']).toContain('patch');
  });

  it('simulator: a vLLM simulator registered as a static model, and no LemurModel controller', () => {
    const objects = renders['simulator']!;
    const sim = mustFind(objects, 'Deployment', 'lemur-vllm-sim');
    expect(envOf(sim)['VLLM_SIM_HOST']?.['value']).toBe('0.0.0.0');
    expect(container(sim)['readinessProbe']).toMatchObject({ httpGet: { path: '/health', port: 'http' } });
    const registry = JSON.parse(String((mustFind(objects, 'ConfigMap', 'lemur-inference-models')['data'] as Json)['models.json'])) as Json;
    expect(registry).toEqual({ models: [{ name: 'lemur-sim', endpoints: ['http://lemur-vllm-sim.lemur.svc:8000'] }] });
    expect(envOf(mustFind(objects, 'Deployment', 'lemur-inference'))['INFERENCE_KUBERNETES']?.['value']).toBe('false');
    expect(find(objects, 'Role', 'lemur-inference-controller')).toBeUndefined();
    expect(JSON.parse(String(envOf(mustFind(objects, 'Deployment', 'lemur-sandbox'))['SANDBOX_K8S_TEMPLATE']?.['value']))).toMatchObject({ runtimeClassName: '' });
  });

  it('points every service address at a rendered Service and port, whatever the release is called', async () => {
    const result = runTool('helm', ['template', 'staging', CHART, '--namespace', 'evals']);
    expect(result.status, result.stderr).toBe(0);
    const objects = parseObjects(result.stdout);
    const services = new Map(objects.filter((o) => o.kind === 'Service').map((o) => [`${o.metadata?.name}.evals.svc`, ((o['spec'] as Json)['ports'] as Json[]).map((p) => p['port'])]));
    const addresses = objects
      .filter((o) => o.kind === 'Deployment')
      .flatMap((d) => ((container(d)['env'] as Json[]) ?? []).filter((e) => /_ADDR$/.test(String(e['name']))).map((e) => String(e['value'])));
    expect(addresses.length).toBeGreaterThanOrEqual(5);
    for (const address of addresses) {
      const [host, port] = address.split(':');
      expect(services.get(host!), address).toContain(Number(port));
    }
    for (const obj of objects) expect(await validateRenderedObject(obj, objects, crds), objectId(obj)).toEqual([]);
  });

  it('labels the namespaces it creates for Pod Security restricted', () => {
    const namespaces = renders['defaults']!.filter((o) => o.kind === 'Namespace');
    expect(namespaces.map((n) => n.metadata?.name).sort()).toEqual(['lemur-models', 'lemur-sandbox']);
    for (const ns of namespaces) {
      expect(ns.metadata?.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/warn': 'restricted' });
    }
  });
});

describe('CRDs', () => {
  it('ships exactly the CRDs of k8s/crds (helm/lemur/crds is that folder)', () => {
    const link = join(CHART, 'crds');
    expect(lstatSync(link).isSymbolicLink() || existsSync(link)).toBe(true);
    const rendered = renders['defaults']!.filter((o) => o.kind === 'CustomResourceDefinition');
    expect(rendered).toEqual(crds);
    expect(rendered.map((c) => c.metadata?.name)).toEqual(['lemurmodels.lemur.dev']);
  });

  it('keeps them when packaged: the packaged chart holds the linked file itself, not the link', () => {
    const out = mkdtempSync(join(tmpdir(), 'lemur-package-'));
    try {
      const result = runTool('helm', ['package', CHART, '--destination', out]);
      expect(result.status, result.stderr).toBe(0);
      const packaged = helmTemplate([], [], join(out, 'lemur-0.1.0.tgz'));
      expect(packaged.filter((o) => o.kind === 'CustomResourceDefinition')).toEqual(crds);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('dashboards and alert rules', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'lemur-chart-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  /** A copy of the chart with these files in dashboards/ and rules/ (in place of the real ones). */
  const chartWith = (files: Record<string, string>): string => {
    const dir = join(scratch, `chart-${Object.keys(files).length}-${Math.random().toString(36).slice(2, 8)}`);
    cpSync(CHART, dir, { recursive: true, dereference: true });
    for (const sub of ['dashboards', 'rules']) {
      rmSync(join(dir, sub), { recursive: true, force: true });
      mkdirSync(join(dir, sub));
    }
    for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
    return dir;
  };

  it('templates every dashboard file into its own ConfigMap labelled for the Grafana sidecar', () => {
    const real = existsSync(join(CHART, 'dashboards')) ? readdirSync(join(CHART, 'dashboards')).filter((f) => f.endsWith('.json')) : [];
    const objects = renders['defaults']!;
    const configMaps = objects.filter((o) => o.kind === 'ConfigMap' && o.metadata?.labels?.['grafana_dashboard'] === '1');
    expect(configMaps.map((c) => Object.keys(c['data'] as Json)[0]).sort()).toEqual(real.sort());
    for (const file of real) {
      const cm = configMaps.find((c) => (c['data'] as Json)[file] !== undefined)!;
      expect(JSON.parse(String((cm['data'] as Json)[file]))).toEqual(JSON.parse(readFileSync(join(CHART, 'dashboards', file), 'utf8')));
    }
  });

  it('wraps every rule file in a PrometheusRule whose groups are the file’s groups, skipping promtool test files', () => {
    const dir = existsSync(join(CHART, 'rules')) ? join(CHART, 'rules') : undefined;
    const files = dir ? readdirSync(dir).filter((f) => f.endsWith('.yaml')) : [];
    const ruleFiles = files.filter((f) => (parse(readFileSync(join(dir!, f), 'utf8')) as Json)['groups'] !== undefined);
    const rules = renders['defaults']!.filter((o) => o.kind === 'PrometheusRule');
    expect(rules.length).toBe(ruleFiles.length);
    for (const file of ruleFiles) {
      const rule = mustFind(renders['defaults']!, 'PrometheusRule', `lemur-${basename(file, '.yaml').replace(/_/g, '-').toLowerCase()}`);
      expect((rule['spec'] as Json)['groups']).toEqual((parse(readFileSync(join(dir!, file), 'utf8')) as Json)['groups']);
    }
  });

  it('renders fixture files the same way, and turns each kind off with its flag', () => {
    const dashboard = JSON.stringify({ title: 'Fixture board', panels: [{ type: 'timeseries', targets: [{ expr: 'sum(rate(lemur_eval_samples_total[5m]))' }] }] });
    const rules = 'groups:\n  - name: fixture\n    rules:\n      - alert: FixtureFires\n        expr: vector(1) > 0\n        for: 5m\n        labels: { severity: warning }\n        annotations:\n          summary: "{{ $labels.model }} is down"\n';
    const chart = chartWith({ 'dashboards/fixture_board.json': dashboard, 'rules/fixture.yaml': rules, 'rules/fixture.test.yaml': 'rule_files: [fixture.yaml]\ntests: []\n' });
    const objects = helmTemplate([], [], chart);
    const cm = mustFind(objects, 'ConfigMap', 'lemur-dashboard-fixture-board');
    expect(cm.metadata?.labels?.['grafana_dashboard']).toBe('1');
    expect((cm['data'] as Json)['fixture_board.json']).toBe(dashboard);
    const rule = mustFind(objects, 'PrometheusRule', 'lemur-fixture');
    // Alert templates reach Prometheus untouched, not evaluated by Helm.
    expect(rule['spec']).toEqual({ groups: [{ name: 'fixture', rules: [{ alert: 'FixtureFires', expr: 'vector(1) > 0', for: '5m', labels: { severity: 'warning' }, annotations: { summary: '{{ $labels.model }} is down' } }] }] });
    expect(objects.filter((o) => o.kind === 'PrometheusRule')).toHaveLength(1);
    const off = helmTemplate([], ['monitoring.dashboards.enabled=false', 'monitoring.prometheusRules.enabled=false'], chart);
    expect(off.filter((o) => o.kind === 'PrometheusRule' || o.metadata?.labels?.['grafana_dashboard'])).toEqual([]);
    expect(helmTemplate([], ['monitoring.serviceMonitors.enabled=true'], chart).filter((o) => o.kind === 'ServiceMonitor')).toHaveLength(5);
  });

  it('refuses a rules file that is neither rules nor a promtool test, naming the file', () => {
    const chart = chartWith({ 'rules/broken.yaml': 'alerts:\n  - nope\n' });
    const result = runTool('helm', ['template', RELEASE.name, chart]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('rules/broken.yaml has no top-level groups');
  });
});

describe('values.schema.json', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'lemur-values-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const valuesFile = (name: string, yaml: string): string => {
    const path = join(scratch, `${name}.yaml`);
    writeFileSync(path, yaml);
    return path;
  };
  const cases: [string, string[], string][] = [
    ['a latest image tag', ['--set', 'image.tag=latest'], `at '/image/tag': 'latest' does not match pattern`],
    ['an untagged sandbox runner image', ['--set', 'sandbox.runner.image.tag='], `at '/sandbox/runner/image/tag': '' does not match pattern`],
    ['no database Secret', ['--set', 'database.existingSecret='], `at '/database/existingSecret': minLength: got 0, want 1`],
    ['zero sandbox replicas', ['--set', 'sandbox.replicas=0'], `at '/sandbox/replicas': minimum: got 0, want 1`],
    ['an unknown log level', ['--set', 'logLevel=loud'], `at '/logLevel': value must be one of 'fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'`],
    ['a privileged sandbox namespace', ['--set', 'namespaces.podSecurity.sandbox=privileged'], `at '/namespaces/podSecurity/sandbox': value must be 'restricted'`],
    ['API keys without their Secret', ['--set', 'inference.apiKeys.keys={OPENAI_API_KEY}'], `at '/inference/apiKeys/existingSecret': minLength: got 0, want 1`],
    ['a misspelt top-level key', ['--set', 'gatway.replicas=2'], `at '': additional properties 'gatway' not allowed`],
    ['a container without limits', ['--set', 'gateway.resources.limits=null'], `at '/gateway/resources': missing property 'limits'`],
    ['an autoscaling metric the eval service does not export', ['--set', 'eval.workers.autoscaling.metricName=queue_depth'], `at '/eval/workers/autoscaling/metricName': 'queue_depth' does not match pattern '^lemur_eval_[a-z0-9_]+$'`],
    ['a malformed digest', ['--set', 'image.digest=sha256:abc'], `at '/image/digest': 'sha256:abc' does not match pattern`],
    ['a MySQL dump path that leaves the datasets volume', ['--set', 'mariadb.dumpPath=../etc/passwd'], `at '/mariadb/dumpPath'`],
    ['a MariaDB without its password Secret', ['--set', 'mariadb.existingSecret='], `at '/mariadb/existingSecret': minLength: got 0, want 1`],
  ];
  const fileCases: [string, string, string][] = [
    ['an API key written into values', 'inference:\n  models:\n    - name: feedback\n      endpoints: ["https://api.example.com"]\n      apiKey: sk-not-here\n', `at '/inference/models/0': additional properties 'apiKey' not allowed`],
    ['an endpoint URL with credentials in it', 'inference:\n  models:\n    - name: feedback\n      endpoints: ["https://user:sk-not-here@api.example.com/v1"]\n', `at '/inference/models/0/endpoints/0'`],
    ['an endpoint URL with a query string', 'inference:\n  models:\n    - name: feedback\n      endpoints: ["https://api.example.com/v1?key=sk-not-here"]\n', `at '/inference/models/0/endpoints/0'`],
    ['a resource quantity that is not one', 'eval:\n  api:\n    resources:\n      requests: { cpu: lots, memory: 1Gi }\n      limits: { cpu: "1", memory: 1Gi }\n', `at '/eval/api/resources/requests/cpu': 'lots' does not match pattern`],
  ];

  it.each(cases)('helm lint and helm template reject %s, saying where and why', (_what, args, message) => {
    const lint = runTool('helm', ['lint', CHART, ...args]);
    expect(lint.status).not.toBe(0);
    expect(lint.stdout + lint.stderr).toContain(message);
    const template = runTool('helm', ['template', RELEASE.name, CHART, ...args]);
    expect(template.status).not.toBe(0);
    expect(template.stderr).toContain(message);
  });

  it.each(fileCases)('rejects a values file with %s', (what, yaml, message) => {
    const result = runTool('helm', ['template', RELEASE.name, CHART, '-f', valuesFile(what.replace(/\W+/g, '-'), yaml)]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});
