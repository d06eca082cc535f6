import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helmTemplate, ROOT, VALUE_SETS } from './support/kube-render';
import { podTemplates } from './support/pod-policy';

type Json = Record<string, unknown>;
type Loader = (env: Record<string, string | undefined>) => Json;

// Apps have no library entry point; their config loaders are the contract the chart's env must meet, so the test
// loads each by path (the same function the service calls at start-up).
async function loader(app: string, file: string, fn: string): Promise<Loader> {
  const mod = (await import(join(ROOT, 'apps', app, 'src/config', file))) as Record<string, Loader>;
  const load = mod[fn];
  if (!load) throw new Error(`${app}/${file} has no ${fn}`);
  return load;
}

/** A container's env as the kubelet would set it: Secret references filled with stand-ins, field references too. */
const INTERNAL_TOKEN = 'stand-in-internal-token-'.padEnd(64, '0');
const STAND_IN_SECRETS: Record<string, string> = {
  DATABASE_URL: 'postgresql://lemur:secret@db.internal:5432/lemur',
  LEMUR_INTERNAL_TOKEN: INTERNAL_TOKEN,
  SANDBOX_MYSQL_PASSWORD: '0123456789abcdef0123456789abcdef',
};

function resolvedEnv(container: Json, podName: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of (container['env'] as Json[]) ?? []) {
    const from = e['valueFrom'] as Json | undefined;
    const name = String(e['name']);
    if (!from) {
      // Dependent variables, as the kubelet expands them: $(NAME) of a variable defined earlier, $$ for a literal $.
      env[name] = String(e['value']).replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, ref: string | undefined) =>
        ref === undefined ? '$' : (env[ref] ?? match),
      );
    } else if (from['secretKeyRef']) env[name] = STAND_IN_SECRETS[name] ?? 'stand-in-secret';
    else if (from['fieldRef']) env[name] = podName;
    else throw new Error(`unsupported valueFrom ${JSON.stringify(from)}`);
  }
  return env;
}

const LOADERS: Record<string, [string, string, string]> = {
  gateway: ['gateway', 'gateway.config.ts', 'loadGatewayConfig'],
  inference: ['inference', 'inference.config.ts', 'loadInferenceConfig'],
  sandbox: ['sandbox', 'sandbox.config.ts', 'loadSandboxConfig'],
  eval: ['eval', 'eval.config.ts', 'loadEvalConfig'],
  'eval-worker': ['eval', 'eval.config.ts', 'loadEvalConfig'],
};

describe("each service accepts the chart's environment", () => {
  it.each(Object.keys(VALUE_SETS))('%s values: every config loader parses its container env', async (set) => {
    const pods = podTemplates(helmTemplate(VALUE_SETS[set]!));
    const configs: Record<string, Json> = {};
    for (const [component, [app, file, fn]] of Object.entries(LOADERS)) {
      const pod = pods.find((p) => p.labels['app.kubernetes.io/component'] === component)!;
      const env = resolvedEnv((pod.spec['containers'] as Json[])[0]!, `lemur-${component}-abc12`);
      const load = await loader(app, file, fn);
      configs[component] = load(env);
    }
    // Every service holds the one internal token its peers send (gRPC calls between them are authenticated).
    for (const component of Object.keys(LOADERS)) expect([component, (configs[component] as { internalToken?: string }).internalToken]).toEqual([component, INTERNAL_TOKEN]);
    expect(configs['gateway']).toMatchObject({ host: '0.0.0.0', port: 8080, evalAddr: 'lemur-eval.lemur.svc:50053', inferenceAddr: 'lemur-inference.lemur.svc:50051' });
    expect(configs['inference']).toMatchObject({ grpcUrl: '0.0.0.0:50051', modelsFile: '/etc/lemur/models.json' });
    expect(configs['eval']).toMatchObject({ serveApi: true, workers: false, grpcUrl: '0.0.0.0:50053', sandboxAddr: 'lemur-sandbox.lemur.svc:50052' });
    expect(configs['eval-worker']).toMatchObject({ serveApi: false, workers: true });
    const kube = (configs['sandbox'] as { backend: string; kubernetes: Json }).kubernetes;
    expect((configs['sandbox'] as { backend: string }).backend).toBe('kubernetes');
    expect(kube).toMatchObject({ namespace: 'lemur-sandbox', pool: 'lemur', replica: 'lemur-sandbox-abc12', serviceNamespace: 'lemur' });
    expect(kube['serviceLabels']).toEqual({ 'app.kubernetes.io/instance': 'lemur', 'app.kubernetes.io/component': 'sandbox' });
    expect(kube['template']).toMatchObject({ runnerPort: 50051, runtimeClassName: set === 'simulator' ? '' : 'gvisor' });
    // Owner references cannot cross namespaces: with sandboxes in their own namespace the pods get no owner.
    expect(kube['owner']).toBeUndefined();
    const inference = configs['inference'] as { kubernetes?: Json; cache?: Json };
    if (set === 'simulator') expect(inference.kubernetes).toBeUndefined();
    else expect(inference.kubernetes).toMatchObject({ namespace: 'lemur-models' });
    expect(inference.cache).toMatchObject({ databaseUrl: 'postgresql://lemur:secret@db.internal:5432/lemur' });
    // SQL against MySQL databases: the chart's MariaDB with the Secret's password, and the dump from the datasets claim.
    const sql = configs['sandbox'] as { mysqlUrl?: string; mysqlDumpFile?: string };
    expect(sql.mysqlUrl).toBe(set === 'defaults' ? undefined : 'mysql://root:0123456789abcdef0123456789abcdef@lemur-mariadb.lemur.svc:3306');
    expect(sql.mysqlDumpFile).toBe(set === 'production' ? '/datasets/intercode/sql/spider/ic_spider_dbs.sql' : undefined);
  });

  it('single-namespace installs (the kustomize base) let the Deployment own its sandbox pods', async () => {
    const pods = podTemplates(helmTemplate([join(ROOT, 'helm/lemur/ci/kustomize-values.yaml')]));
    const sandbox = pods.find((p) => p.labels['app.kubernetes.io/component'] === 'sandbox')!;
    const config = (await loader('sandbox', 'sandbox.config.ts', 'loadSandboxConfig'))(resolvedEnv((sandbox.spec['containers'] as Json[])[0]!, 'lemur-sandbox-x'));
    expect((config as { kubernetes: Json }).kubernetes).toMatchObject({ namespace: 'lemur', owner: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'lemur-sandbox' } });
  });

  it.each(Object.keys(VALUE_SETS))('%s values: the inference service loads the rendered model registry', async (set) => {
    const objects = helmTemplate(VALUE_SETS[set]!);
    const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata?.name === 'lemur-inference-models')!;
    const dir = mkdtempSync(join(tmpdir(), 'lemur-models-'));
    try {
      const file = join(dir, 'models.json');
      writeFileSync(file, String((configMap['data'] as Json)['models.json']));
      const mod = (await import(join(ROOT, 'apps/inference/src/registry/model-registry.ts'))) as {
        ModelRegistry: { fromFile(path: string, secrets: Record<string, string | undefined>): { list(): { name: string }[] } };
      };
      const names = mod.ModelRegistry.fromFile(file, { OPENAI_API_KEY: 'stand-in' }).list().map((m) => m.name);
      expect(names).toEqual({ defaults: [], production: ['gpt-4-feedback'], simulator: ['lemur-sim'] }[set]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
