import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inferenceV1 } from '@lemur/proto';
import { ANNOTATIONS, type LemurModel, type LemurModelSpec, resourceLabels } from '@lemur/model-serving';
import { createGrpcClient, type GrpcClient, type RunningGrpcApp } from '@lemur/shared-grpc';
import { createKubeConfig, type IDeployment, type ILease, type IService, KubeClient } from '@lemur/shared-k8s';
import { freePort, KubeApiServer, type KubeObject, startSimulatorProcess, type SimulatorProcess } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadInferenceConfig } from '../src/config/inference.config';
import { startInference } from '../src/inference.app';
import { LEMUR_MODELS } from '../src/kubernetes/lemur-model.resource';
import { CONTROLLER_LEASE_NAME } from '../src/kubernetes/start-model-controller';

type Client = GrpcClient<(typeof inferenceV1.InferenceService)['method']>;

const ROOT = resolve(__dirname, '../../..');
const NS = 'lemur';
const CHAT_MODEL = 'OpenLemur/lemur-70b-chat-v1';

/** A pass-through proxy in front of the API server that records one replica's writes (the server cannot tell replicas apart). */
async function startRecordingProxy(target: string): Promise<{ url: string; writes: string[]; close(): Promise<void> }> {
  const writes: string[] = [];
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET') writes.push(`${req.method} ${req.url}`);
    const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    writes,
    close: () => {
      server.closeAllConnections();
      return new Promise((done) => server.close(() => done()));
    },
  };
}

interface Replica {
  app: RunningGrpcApp;
  client: Client;
  writes: string[];
  close(): Promise<void>;
}

/** Writes of the controller's objects (Deployments, Services, LemurModel status); leases and annotations are every replica's. */
const controllerWrites = (writes: string[]) => writes.filter((w) => /\/(deployments|services)(\/|$|\?)|\/lemurmodels\/[^/]+\/status/.test(w));

describe('two inference replicas against one API server: leader election for the LemurModel controller', () => {
  let api: KubeApiServer;
  let kube: KubeClient;
  let dir: string;
  let sim: SimulatorProcess;
  const replicas: Replica[] = [];

  async function startReplica(podName: string): Promise<Replica> {
    const proxy = await startRecordingProxy(api.url);
    const app = await startInference(
      loadInferenceConfig({
        LEMUR_MODELS_FILE: join(dir, 'models.json'),
        INFERENCE_GRPC_URL: `127.0.0.1:${await freePort()}`,
        INFERENCE_METRICS_PORT: '0',
        INFERENCE_KUBERNETES: 'true',
        INFERENCE_KUBERNETES_SERVER: proxy.url,
        INFERENCE_KUBERNETES_NAMESPACE: NS,
        INFERENCE_AUTOSCALE_INTERVAL_MS: '250',
        INFERENCE_COLD_START_TIMEOUT_MS: '15000',
        INFERENCE_ENGINE_SCRAPE_MS: '200',
        INFERENCE_LEADER_LEASE_SECONDS: '2',
        INFERENCE_ACTIVITY_PUBLISH_MS: '500',
        POD_NAME: podName,
        LOG_LEVEL: process.env['K8S_TEST_LOG'] ?? 'silent',
      }),
    );
    const client = createGrpcClient(inferenceV1.InferenceService, app.grpcUrl, { defaultDeadlineMs: 20_000 });
    const replica = {
      app,
      client,
      writes: proxy.writes,
      close: async () => {
        client.close();
        await app.close();
        await proxy.close();
      },
    };
    replicas.push(replica);
    return replica;
  }

  async function isLeader(replica: Replica): Promise<boolean> {
    const text = await (await fetch(`${replica.app.metricsUrl}/metrics`)).text();
    return text.split('\n').some((l) => l === 'lemur_inference_controller_leader 1');
  }

  const deployment = (name: string) => api.getObject<IDeployment & KubeObject>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: NS, name });
  const leaseHolder = () => api.getObject<ILease & KubeObject>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: NS, name: CONTROLLER_LEASE_NAME })?.spec?.holderIdentity;

  function lemurModel(name: string, spec: Partial<LemurModelSpec>): LemurModel {
    const example = parse(readFileSync(join(ROOT, 'k8s/examples/lemur-70b-chat.yaml'), 'utf8')) as LemurModel;
    return { ...example, metadata: { name, namespace: NS }, spec: { ...example.spec, ...spec } };
  }

  /** The cluster's side of a model's replicas: one ready pod and its EndpointSlice on the simulator, or none. */
  function setReadyReplica(name: string, url: string | undefined): void {
    const pod = { apiVersion: 'v1', kind: 'Pod', namespace: NS, name: `${name}-pod-0` };
    const slice = { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', namespace: NS, name: `${name}-0` };
    if (!url) {
      api.deleteObject(slice);
      api.deleteObject(pod);
      return;
    }
    const service = api.getObject<IService & KubeObject>({ apiVersion: 'v1', kind: 'Service', namespace: NS, name })!;
    api.putObject({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: pod.name, namespace: NS, labels: resourceLabels(name) },
      spec: deployment(name)!.spec!.template.spec!,
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    });
    api.putObject({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: slice.name,
        namespace: NS,
        labels: { 'kubernetes.io/service-name': name },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: service.metadata!.uid!, controller: true, blockOwnerDeletion: true }],
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true, serving: true, terminating: false } }],
      ports: [{ name: 'http', port: Number(new URL(url).port), protocol: 'TCP' }],
    });
  }

  const chat = (replica: Replica, content: string) => replica.client.generate({ model: CHAT_MODEL, messages: [{ role: 'user', content }], sampling: { maxTokens: 2 } }, { deadlineMs: 20_000 });

  beforeAll(async () => {
    api = await KubeApiServer.start({ crdDirs: [join(ROOT, 'k8s/crds')], bookmarkIntervalMs: 200, namespaces: ['default', NS] });
    kube = new KubeClient(createKubeConfig({ server: api.url }));
    sim = await startSimulatorProcess(['--model', `${CHAT_MODEL}=echo`, '--fast']);
    dir = mkdtempSync(join(tmpdir(), 'lemur-leader-'));
    writeFileSync(join(dir, 'models.json'), JSON.stringify({ models: [] }));
  }, 60_000);

  afterAll(async () => {
    for (const replica of replicas) await replica.close().catch(() => undefined);
    await api?.close();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lets only the leader write Deployments, Services and status, while both route', async () => {
    const a = await startReplica('inference-a');
    await expect.poll(() => isLeader(a), { timeout: 5_000 }).toBe(true);
    const b = await startReplica('inference-b');
    expect(leaseHolder()).toMatch(/^inference-a-[0-9a-f]{8}$/);
    await kube.create(LEMUR_MODELS, lemurModel('chat', { minReplicas: 1, maxReplicas: 2, autoscaling: { scaleToZeroAfterSeconds: 2, scaleDownStabilizationSeconds: 0 } }));
    await expect.poll(() => deployment('chat')?.spec?.replicas, { timeout: 10_000 }).toBe(1);
    await expect.poll(async () => (await kube.get(LEMUR_MODELS, 'chat', NS)).status?.desiredReplicas, { timeout: 10_000 }).toBe(1);
    setReadyReplica('chat', sim.url);
    for (const replica of [a, b]) expect((await chat(replica, 'hi')).endpoint).toBe(sim.url);
    expect(controllerWrites(a.writes).length).toBeGreaterThan(0);
    expect(controllerWrites(b.writes)).toEqual([]);
    expect(await isLeader(b)).toBe(false);
  });

  it('hands over when the leader stops: the other replica leads and reconciles a change made after', async () => {
    const [a, b] = replicas as [Replica, Replica];
    await a.close();
    await expect.poll(() => isLeader(b), { timeout: 3_000 }).toBe(true);
    expect(leaseHolder()).toMatch(/^inference-b-/);
    const before = controllerWrites(b.writes).length;
    await kube.patch(LEMUR_MODELS, 'chat', { spec: { engine: { maxModelLen: 8192 } } }, { namespace: NS });
    await expect.poll(() => deployment('chat')?.spec?.template.spec?.containers[0]?.args, { timeout: 10_000 }).toContain('8192');
    expect(controllerWrites(b.writes).length).toBeGreaterThan(before);
    await expect.poll(async () => (await kube.get(LEMUR_MODELS, 'chat', NS)).status?.observedGeneration, { timeout: 10_000 }).toBe(2);
  });

  it("keeps a model with minReplicas 0 up while a non-leader serves it, then lets it go to zero once idle", async () => {
    const b = replicas[1]!;
    const c = await startReplica('inference-c');
    expect(await isLeader(c)).toBe(false);
    await kube.patch(LEMUR_MODELS, 'chat', { spec: { minReplicas: 0 } }, { namespace: NS });
    // Requests on the non-leader only, well past the 2 s idle time: the leader sees them through the annotation alone.
    const seen: number[] = [];
    const until = Date.now() + 4_000;
    while (Date.now() < until) {
      expect((await chat(c, 'still here')).endpoint).toBe(sim.url);
      seen.push(deployment('chat')?.spec?.replicas ?? -1);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(new Set(seen)).toEqual(new Set([1]));
    expect(Date.parse((await kube.get(LEMUR_MODELS, 'chat', NS)).metadata?.annotations?.[ANNOTATIONS.lastRequestAt] ?? '')).toBeGreaterThan(until - 2_000);
    expect(controllerWrites(c.writes)).toEqual([]);
    expect(await isLeader(b)).toBe(true);
    await expect.poll(() => deployment('chat')?.spec?.replicas, { timeout: 10_000 }).toBe(0);
  });

  it('wakes a model at zero from a request on a non-leader, and the leader keeps it up', async () => {
    const c = replicas[2]!;
    setReadyReplica('chat', undefined);
    await expect.poll(async () => (await c.client.listModels({})).models.find((m) => m.name === CHAT_MODEL)?.readyEndpoints, { timeout: 5_000 }).toBe(0);
    const pending = chat(c, 'wake up');
    await expect.poll(() => deployment('chat')?.spec?.replicas, { timeout: 10_000 }).toBe(1);
    setReadyReplica('chat', sim.url);
    expect((await pending).endpoint).toBe(sim.url);
    // The leader took the wake as its own (desired 1), rather than writing its 0 back.
    await expect.poll(async () => (await kube.get(LEMUR_MODELS, 'chat', NS)).status?.desiredReplicas, { timeout: 5_000 }).toBe(1);
    expect(deployment('chat')?.spec?.replicas).toBe(1);
    expect(controllerWrites(c.writes)).toEqual([`PATCH /apis/apps/v1/namespaces/${NS}/deployments/chat`]);
  });
});
