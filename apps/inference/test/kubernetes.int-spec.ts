import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inferenceV1 } from '@lemur/proto';
import { type LemurModel, resourceLabels, type LemurModelSpec } from '@lemur/model-serving';
import { type PlatformError } from '@lemur/shared-errors';
import { createGrpcClient, type GrpcClient, type RunningGrpcApp } from '@lemur/shared-grpc';
import { createKubeConfig, type IDeployment, type IService, KubeClient } from '@lemur/shared-k8s';
import { freePort, KubeApiServer, type KubeObject, startSimulatorProcess, type SimulatorProcess, validateKubernetesObject } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadInferenceConfig } from '../src/config/inference.config';
import { startInference } from '../src/inference.app';
import { LEMUR_MODELS } from '../src/kubernetes/lemur-model.resource';

type Client = GrpcClient<(typeof inferenceV1.InferenceService)['method']>;

const ROOT = resolve(__dirname, '../../..');
const NS = 'lemur';
const BASE_MODEL = 'OpenLemur/lemur-70b-v1';
const CHAT_MODEL = 'OpenLemur/lemur-70b-chat-v1';
const COLD_START_TIMEOUT_MS = 4_000;

async function failure(promise: Promise<unknown>): Promise<PlatformError> {
  try {
    await promise;
  } catch (err) {
    return err as PlatformError;
  }
  throw new Error('expected the call to fail');
}

/** A LemurModel from the shipped example, with overrides for the test. */
function lemurModel(file: string, name: string, spec: Partial<LemurModelSpec>): LemurModel {
  const example = parse(readFileSync(join(ROOT, 'k8s/examples', file), 'utf8')) as LemurModel;
  return { ...example, metadata: { name, namespace: NS }, spec: { ...example.spec, ...spec } };
}

const deploymentKey = (name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name });
const serviceKey = (name: string) => ({ apiVersion: 'v1', kind: 'Service', namespace: NS, name });
const lemurKey = (name: string) => ({ apiVersion: 'lemur.dev/v1alpha1', kind: 'LemurModel', namespace: NS, name });
const condition = (model: LemurModel | undefined, type: string) => model?.status?.conditions?.find((c) => c.type === type);

describe('inference as a Kubernetes controller, against an in-process API server and real simulator processes', () => {
  let api: KubeApiServer;
  let kube: KubeClient;
  let app: RunningGrpcApp;
  let client: Client;
  let dir: string;
  const sims: SimulatorProcess[] = [];

  /** Starts the inference service (the controller) against the API server, as a pod of it starts. */
  async function startController(): Promise<void> {
    app = await startInference(
      loadInferenceConfig({
        LEMUR_MODELS_FILE: join(dir, 'models.json'),
        INFERENCE_GRPC_URL: `127.0.0.1:${await freePort()}`,
        INFERENCE_METRICS_PORT: '0',
        INFERENCE_KUBERNETES: 'true',
        INFERENCE_KUBERNETES_SERVER: api.url,
        INFERENCE_KUBERNETES_NAMESPACE: NS,
        INFERENCE_AUTOSCALE_INTERVAL_MS: '250',
        INFERENCE_COLD_START_TIMEOUT_MS: String(COLD_START_TIMEOUT_MS),
        INFERENCE_ENGINE_SCRAPE_MS: '200',
        LOG_LEVEL: process.env['K8S_TEST_LOG'] ?? 'silent',
      }),
    );
    client = createGrpcClient(inferenceV1.InferenceService, app.grpcUrl, { defaultDeadlineMs: 20_000 });
  }

  async function metric(name: string, labels: string): Promise<number | undefined> {
    const text = await (await fetch(`${app.metricsUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line === undefined ? undefined : Number(line.split(' ').pop());
  }

  /**
   * Plays the rest of the cluster for one model: the ReplicaSet's pods (running, ready), the Deployment status, and
   * one EndpointSlice per pod (each simulator listens on its own port, as pods with a named targetPort may).
   */
  async function simulateReadyReplicas(name: string, urls: string[]): Promise<void> {
    const deployment = api.getObject<IDeployment & KubeObject>(deploymentKey(name))!;
    const service = api.getObject<IService & KubeObject>(serviceKey(name))!;
    urls.forEach((url, i) => {
      api.putObject({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${name}-pod-${i}`, namespace: NS, labels: resourceLabels(name) },
        spec: deployment.spec!.template.spec!,
        status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'vllm', image: 'vllm', imageID: '', ready: true, restartCount: 0, state: { running: {} } }] },
      });
      api.putObject({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: `${name}-${i}`,
          namespace: NS,
          labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
          ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: service.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
        },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true, serving: true, terminating: false } }],
        ports: [{ name: 'http', port: Number(new URL(url).port), protocol: 'TCP' }],
      });
    });
    const n = urls.length;
    api.setStatus(deploymentKey(name), { observedGeneration: deployment.metadata?.generation, replicas: n, updatedReplicas: n, readyReplicas: n, availableReplicas: n });
  }

  beforeAll(async () => {
    api = await KubeApiServer.start({ crdDirs: [join(ROOT, 'k8s/crds')], bookmarkIntervalMs: 200, namespaces: ['default', NS] });
    kube = new KubeClient(createKubeConfig({ server: api.url }));
    const started = await Promise.all([
      startSimulatorProcess(['--model', `${BASE_MODEL}=echo`, '--ttft-ms', '5', '--tpot-ms', '40']),
      startSimulatorProcess(['--model', `${BASE_MODEL}=echo`, '--ttft-ms', '5', '--tpot-ms', '40']),
      startSimulatorProcess(['--model', `${CHAT_MODEL}=echo`, '--fast']),
    ]);
    sims.push(...started);
    dir = mkdtempSync(join(tmpdir(), 'lemur-k8s-'));
    writeFileSync(join(dir, 'models.json'), JSON.stringify({ models: [] }));
    await startController();
  }, 90_000);

  afterAll(async () => {
    client?.close();
    await app?.close();
    await api?.close();
    await Promise.all(sims.map((s) => s.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reconciles a LemurModel into an owned Deployment and Service that pass the Kubernetes schemas', async () => {
    const created = await kube.create(
      LEMUR_MODELS,
      lemurModel('lemur-70b.yaml', 'lemur-70b', { minReplicas: 1, maxReplicas: 3, autoscaling: { targetRunningPerReplica: 2, targetWaitingPerReplica: 1, scaleDownStabilizationSeconds: 600 } }),
    );
    await expect.poll(() => api.getObject(serviceKey('lemur-70b')), { timeout: 10_000 }).toBeDefined();
    const deployment = api.getObject<IDeployment & KubeObject>(deploymentKey('lemur-70b'))!;
    const service = api.getObject<IService & KubeObject>(serviceKey('lemur-70b'))!;
    expect(await validateKubernetesObject(deployment)).toEqual([]);
    expect(await validateKubernetesObject(service)).toEqual([]);
    for (const owned of [deployment, service]) expect(owned.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'LemurModel', uid: created.metadata?.uid, controller: true })]);
    const container = deployment.spec!.template.spec!.containers[0]!;
    expect(deployment.spec!.replicas).toBe(1);
    expect(container.args).toEqual(expect.arrayContaining(['--served-model-name', BASE_MODEL, '--tensor-parallel-size', '4']));
    expect(container.resources?.limits?.['nvidia.com/gpu']).toBe('4');
    await expect.poll(async () => condition(await kube.get(LEMUR_MODELS, 'lemur-70b', NS), 'Progressing')?.status).toBe('True');
    const status = (await kube.get(LEMUR_MODELS, 'lemur-70b', NS)).status;
    expect(condition({ status } as LemurModel, 'Available')).toMatchObject({ status: 'False', reason: 'NoReadyReplicas' });
    expect(status?.observedGeneration).toBe(1);
  });

  it('updates the Deployment when the spec changes, and writes nothing when nothing changed', async () => {
    const writes = () => api.requests.filter((r) => r.path.includes('/deployments/lemur-70b') && (r.method === 'PUT' || r.method === 'PATCH')).length;
    const before = writes();
    const reconciles = async () => {
      const text = await (await fetch(`${app.metricsUrl}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('lemur_inference_model_reconciles_total{') && l.includes('outcome="ok"'));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const reconciledBefore = await reconciles();
    const revision = async () => (await client.listModels({})).models.find((m) => m.name === BASE_MODEL)?.revision;
    // What eval runs record as modelRevision: the weights (the example's branch) and a hash of the engine settings.
    const served = await revision();
    expect(served).toMatch(/^OpenLemur\/lemur-70b-v1@main#[0-9a-f]{16}$/);
    // A metadata-only change makes the controller reconcile again, which must not rewrite the Deployment.
    await kube.patch(LEMUR_MODELS, 'lemur-70b', { metadata: { labels: { team: 'evals' } } }, { namespace: NS });
    await expect.poll(reconciles, { timeout: 10_000 }).toBeGreaterThan(reconciledBefore);
    expect(writes()).toBe(before);
    await kube.patch(LEMUR_MODELS, 'lemur-70b', { spec: { engine: { maxModelLen: 8192 } } }, { namespace: NS });
    await expect.poll(() => api.getObject<IDeployment & KubeObject>(deploymentKey('lemur-70b'))?.spec?.template.spec?.containers[0]?.args, { timeout: 10_000 }).toContain('8192');
    expect(api.getObject(deploymentKey('lemur-70b'))?.metadata?.generation).toBe(2);
    await expect.poll(revision, { timeout: 10_000 }).not.toBe(served);
    expect(await revision()).toMatch(/^OpenLemur\/lemur-70b-v1@main#[0-9a-f]{16}$/);
    await expect.poll(async () => (await kube.get(LEMUR_MODELS, 'lemur-70b', NS)).status?.observedGeneration).toBe(2);
  });

  it('reports Degraded with reason ImagePullBackOff when a replica cannot pull its image', async () => {
    const deployment = api.getObject<IDeployment & KubeObject>(deploymentKey('lemur-70b'))!;
    api.putObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'lemur-70b-broken', namespace: NS, labels: resourceLabels('lemur-70b') },
      spec: deployment.spec!.template.spec!,
      status: {
        phase: 'Pending',
        containerStatuses: [{ name: 'vllm', image: 'vllm/vllm-openai:v0.11.0', imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image' } } }],
      },
    });
    await expect.poll(async () => condition(await kube.get(LEMUR_MODELS, 'lemur-70b', NS), 'Degraded'), { timeout: 10_000 }).toMatchObject({ status: 'True', reason: 'ImagePullBackOff' });
    api.deleteObject({ apiVersion: 'v1', kind: 'Pod', namespace: NS, name: 'lemur-70b-broken' });
    await expect.poll(async () => condition(await kube.get(LEMUR_MODELS, 'lemur-70b', NS), 'Degraded')?.status, { timeout: 10_000 }).toBe('False');
  });

  it('routes Generate to the replicas its EndpointSlices name (real simulator processes)', async () => {
    await simulateReadyReplicas('lemur-70b', [sims[0]!.url]);
    await expect.poll(async () => (await client.listModels({})).models.find((m) => m.name === BASE_MODEL)?.readyEndpoints, { timeout: 10_000 }).toBe(1);
    const response = await client.generate({ model: BASE_MODEL, prompt: 'hello lemur', sampling: { maxTokens: 4 } });
    expect(response.endpoint).toBe(sims[0]!.url);
    await simulateReadyReplicas('lemur-70b', [sims[0]!.url, sims[1]!.url]);
    await expect.poll(async () => (await client.listModels({})).models.find((m) => m.name === BASE_MODEL)?.readyEndpoints, { timeout: 10_000 }).toBe(2);
    const endpoints = new Set((await Promise.all(Array.from({ length: 12 }, (_, i) => client.generate({ model: BASE_MODEL, prompt: `q${i} ${'x'.repeat(i * 40)}`, sampling: { maxTokens: 4 } })))).map((r) => r.endpoint));
    expect([...endpoints].sort()).toEqual([sims[0]!.url, sims[1]!.url].sort());
    await expect.poll(async () => condition(await kube.get(LEMUR_MODELS, 'lemur-70b', NS), 'Available'), { timeout: 10_000 }).toMatchObject({ status: 'True', reason: 'ReplicasReady' });
  });

  it('raises replicas under load on the simulators, never above maxReplicas', async () => {
    const replicas = () => api.getObject<IDeployment & KubeObject>(deploymentKey('lemur-70b'))?.spec?.replicas ?? 0;
    // The previous test's burst may already have added a replica (scale-down waits out its 600 s window).
    const start = replicas();
    expect(start).toBeLessThan(3);
    const seen: number[] = [start];
    const sampler = setInterval(() => seen.push(replicas()), 50);
    const load = Promise.allSettled(
      Array.from({ length: 12 }, (_, i) => client.generate({ model: BASE_MODEL, prompt: `long job ${i}: ${'lorem ipsum '.repeat(100)}`, sampling: { maxTokens: 120 } }, { deadlineMs: 60_000 })),
    );
    await expect.poll(replicas, { timeout: 20_000, interval: 100 }).toBe(3);
    const results = await load;
    clearInterval(sampler);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    // Only upwards while loaded, and never beyond maxReplicas.
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(Math.max(...seen)).toBe(3);
    expect((await kube.get(LEMUR_MODELS, 'lemur-70b', NS)).status).toMatchObject({ desiredReplicas: 3 });
  });

  it('keeps the replica count of a serving model when the controller restarts (as on every helm upgrade)', async () => {
    expect(api.getObject<IDeployment & KubeObject>(deploymentKey('lemur-70b'))?.spec?.replicas).toBe(3);
    const lastScaleTime = (await kube.get(LEMUR_MODELS, 'lemur-70b', NS)).status?.lastScaleTime;
    client.close();
    await app.close();
    const seen = api.requests.length;
    await startController();
    // Registered means reconciled (the Deployment is written before the model is served); a recommendation means an
    // autoscaling round ran on the replicas' load, which is idle now and calls for 1 replica.
    await expect.poll(async () => (await client.listModels({})).models.find((m) => m.name === BASE_MODEL)?.readyEndpoints, { timeout: 10_000 }).toBe(2);
    await expect.poll(() => metric('lemur_inference_model_recommended_replicas', `model="${BASE_MODEL}"`), { timeout: 10_000 }).toBe(1);
    // The scale-down stabilization window (600 s) holds the count as it did before the restart.
    expect(await metric('lemur_inference_model_desired_replicas', `model="${BASE_MODEL}"`)).toBe(3);
    const deploymentWrites = api.requests.slice(seen).filter((r) => r.path.includes('/deployments/lemur-70b') && (r.method === 'PUT' || r.method === 'PATCH'));
    expect(deploymentWrites).toEqual([]);
    expect(api.getObject<IDeployment & KubeObject>(deploymentKey('lemur-70b'))?.spec?.replicas).toBe(3);
    expect((await kube.get(LEMUR_MODELS, 'lemur-70b', NS)).status).toMatchObject({ desiredReplicas: 3, lastScaleTime });
    expect((await client.generate({ model: BASE_MODEL, prompt: 'still serving?', sampling: { maxTokens: 4 } })).endpoint).toMatch(/^http:\/\/127\.0\.0\.1:/);
  });

  it('keeps watching after a forced 410 Gone (history compacted, connections dropped) by listing again', async () => {
    const lists = () => api.requests.filter((r) => r.method === 'GET' && !r.watch && r.path.startsWith(`/apis/lemur.dev/v1alpha1/namespaces/${NS}/lemurmodels`)).length;
    const listsBefore = lists();
    // The controller is cut off from watches while a LemurModel is created and the server's history is compacted:
    // when it reconnects, its resourceVersion is too old (410), and only a fresh list can show it the new model.
    api.suspendWatches();
    await kube.create(LEMUR_MODELS, lemurModel('lemur-70b-chat.yaml', 'lemur-70b-chat', { minReplicas: 0, maxReplicas: 2 }));
    api.compactHistory();
    await new Promise((r) => setTimeout(r, 300));
    expect(api.getObject(deploymentKey('lemur-70b-chat'))).toBeUndefined();
    api.resumeWatches();
    await expect.poll(() => api.getObject(serviceKey('lemur-70b-chat')), { timeout: 15_000 }).toBeDefined();
    expect(lists()).toBeGreaterThan(listsBefore);
    expect(api.getObject<IDeployment & KubeObject>(deploymentKey('lemur-70b-chat'))?.spec?.replicas).toBe(0);
    await expect.poll(async () => condition(await kube.get(LEMUR_MODELS, 'lemur-70b-chat', NS), 'Available')?.reason).toBe('ScaledToZero');
  });

  it('scales a model from zero on the first request, which waits for the replica and then succeeds', async () => {
    const pending = client.generate({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'wake up' }], sampling: { maxTokens: 4 } }, { deadlineMs: 30_000 });
    await expect.poll(() => api.getObject<IDeployment & KubeObject>(deploymentKey('lemur-70b-chat'))?.spec?.replicas, { timeout: 10_000 }).toBe(1);
    await simulateReadyReplicas('lemur-70b-chat', [sims[2]!.url]);
    const response = await pending;
    expect(response.endpoint).toBe(sims[2]!.url);
  });

  it('fails with a clear UNAVAILABLE error naming the model when no replica is ready in time', async () => {
    await kube.create(LEMUR_MODELS, lemurModel('lemur-70b-chat.yaml', 'lemur-cold', { modelName: 'OpenLemur/lemur-cold', minReplicas: 0, maxReplicas: 1 }));
    await expect.poll(async () => (await client.listModels({})).models.some((m) => m.name === 'OpenLemur/lemur-cold'), { timeout: 10_000 }).toBe(true);
    const started = Date.now();
    const err = await failure(client.generate({ model: 'OpenLemur/lemur-cold', prompt: 'anyone?', sampling: { maxTokens: 4 } }, { deadlineMs: 30_000 }));
    expect(err.code).toBe('NO_READY_ENDPOINT');
    expect((err.cause as { code?: number }).code).toBe(14);
    expect(err.message).toContain('OpenLemur/lemur-cold');
    expect(Date.now() - started).toBeGreaterThanOrEqual(COLD_START_TIMEOUT_MS - 500);
    expect(api.getObject<IDeployment & KubeObject>(deploymentKey('lemur-cold'))?.spec?.replicas).toBe(1);
  });

  it('deleting a LemurModel removes its Deployment, Service, EndpointSlices and router entry', async () => {
    await kube.delete(LEMUR_MODELS, 'lemur-70b', NS);
    await expect.poll(() => api.getObject(deploymentKey('lemur-70b')), { timeout: 10_000 }).toBeUndefined();
    await expect.poll(() => api.getObject(serviceKey('lemur-70b'))).toBeUndefined();
    await expect.poll(() => api.listObjects('discovery.k8s.io/v1', 'EndpointSlice', NS).filter((s) => /^lemur-70b-\d+$/.test(s.metadata?.name ?? '')).length).toBe(0);
    await expect.poll(async () => (await client.listModels({})).models.map((m) => m.name), { timeout: 10_000 }).not.toContain(BASE_MODEL);
    const err = await failure(client.generate({ model: BASE_MODEL, prompt: 'still there?', sampling: { maxTokens: 2 } }));
    expect(err.code).toBe('MODEL_NOT_FOUND');
    expect(api.getObject(lemurKey('lemur-70b'))).toBeUndefined();
  });
});
