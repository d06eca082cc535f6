import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sandboxV1 } from '@lemur/proto';
import {
  DEFAULT_SANDBOX_POD_TEMPLATE,
  SANDBOX_CLAIMED_BY_ANNOTATION,
  SANDBOX_EXPIRES_ANNOTATION,
  SANDBOX_POD_LABELS,
  SANDBOX_POD_SELECTOR,
  isSandboxPodReady,
  renderSandboxPod,
  sandboxPodState,
  teamLabelValue,
  type SandboxPodTemplate,
} from '@lemur/sandbox-policy';
import { PlatformErrorCode, type PlatformError } from '@lemur/shared-errors';
import { createGrpcClient, type GrpcClient, type RunningGrpcApp } from '@lemur/shared-grpc';
import { createKubeConfig, Informer, KubeClient, PODS, type IPod, type INetworkPolicy } from '@lemur/shared-k8s';
import { createLogger } from '@lemur/shared-logging';
import { createMetricsRegistry } from '@lemur/shared-metrics';
import { freePort, KubeApiServer, matchesLabels, parseLabelSelector, validateKubernetesObject, type KubeObject } from '@lemur/shared-testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSandboxConfig } from '../src/config/sandbox.config';
import { KubernetesSandboxMetrics, PodPool, PodSweeper } from '../src/kubernetes';
import { startSandbox } from '../src/sandbox.app';

type Client = GrpcClient<(typeof sandboxV1.SandboxService)['method']>;

const REPO = resolve(__dirname, '../../..');
const NS = 'sandboxes';
const POOL_SIZE = 2;
// The runners run as the pod's uid would (65534, non-root), never as the test's root.
const POD_UID = 65534;
const SERVICE_LABELS = { 'app.kubernetes.io/name': 'lemur-sandbox-service' };
const silent = createLogger('kubernetes-backend-test', 'silent');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 150_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Plays the kubelet for sandbox pods: for each pod created, it starts the real sandbox app in runner mode on its own
 * loopback address (127.0.0.N, all loopback on Linux) with the pod's environment and uid, waits until it answers,
 * then reports the pod Running and Ready with that address; a deleted pod's runner is killed.
 */
class FakeKubelet {
  /** Every version of every sandbox pod seen (as created, claimed, ...), for validation and claim checks. */
  readonly versions: IPod[] = [];
  readonly lastSeen = new Map<string, IPod>();
  private readonly runners = new Map<string, ChildProcess>();
  private readonly logs = new Map<string, string>();
  private nextHost = 10;
  private readonly informer: Informer<IPod>;

  constructor(
    private readonly server: KubeApiServer,
    client: KubeClient,
    private readonly port: number,
    private readonly workRoot: string,
  ) {
    this.informer = new Informer<IPod>(client, PODS, { namespace: NS, labelSelector: SANDBOX_POD_SELECTOR });
  }

  async start(): Promise<void> {
    this.informer.on((e) => {
      const name = e.object.metadata?.name ?? '';
      if (e.type !== 'delete') {
        this.versions.push(e.object);
        this.lastSeen.set(name, e.object);
      }
      if (e.type === 'add') void this.boot(e.object);
      if (e.type === 'delete') this.kill(name);
    });
    await this.informer.start();
  }

  running(): number {
    return this.runners.size;
  }

  log(name: string): string {
    return this.logs.get(name) ?? '';
  }

  async stop(): Promise<void> {
    await this.informer.stop();
    const exits = [...this.runners.values()].map((child) => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r))));
    for (const name of [...this.runners.keys()]) this.kill(name);
    await Promise.all(exits);
  }

  private async boot(pod: IPod): Promise<void> {
    const name = pod.metadata?.name ?? '';
    const ip = `127.0.0.${this.nextHost++}`;
    const env = Object.fromEntries((pod.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value ?? '']));
    // The pod's workspace emptyDir.
    const podDir = join(this.workRoot, name);
    mkdirSync(podDir);
    chownSync(podDir, POD_UID, POD_UID);
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/sandbox/src/main.ts'], {
      cwd: REPO,
      uid: POD_UID,
      gid: POD_UID,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        HOME: podDir,
        TSX_TSCONFIG_PATH: 'tsconfig.json',
        LOG_LEVEL: 'warn',
        ...env,
        // What the pod's network and emptyDir would give it.
        SANDBOX_GRPC_URL: `${ip}:${this.port}`,
        SANDBOX_WORKSPACE_ROOT: podDir,
      },
    });
    child.stderr?.on('data', (c: Buffer) => this.logs.set(name, (this.log(name) + c.toString()).slice(-4000)));
    this.runners.set(name, child);
    const probe = createGrpcClient(sandboxV1.SandboxService, `${ip}:${this.port}`, { defaultDeadlineMs: 2_000 });
    try {
      for (;;) {
        if (!this.runners.has(name) || child.exitCode !== null) return;
        try {
          await probe.getCapabilities({});
          break;
        } catch {
          await sleep(200);
        }
      }
    } finally {
      probe.close();
    }
    try {
      this.server.setStatus(
        { apiVersion: 'v1', kind: 'Pod', namespace: NS, name },
        { phase: 'Running', podIP: ip, podIPs: [{ ip }], startTime: new Date().toISOString(), conditions: [{ type: 'Ready', status: 'True' }] },
      );
    } catch {
      // deleted while its runner started
    }
  }

  // Like a pod's teardown: the runner's group, and every program still running in the pod's workspace.
  private kill(name: string): void {
    const child = this.runners.get(name);
    this.runners.delete(name);
    const pids = child?.pid !== undefined ? [-child.pid] : [];
    const podDir = join(this.workRoot, name);
    for (const entry of readdirSync('/proc')) {
      try {
        if (/^\d+$/.test(entry) && readlinkSync(`/proc/${entry}/cwd`).startsWith(podDir)) pids.push(Number(entry));
      } catch {
        // exited meanwhile
      }
    }
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

function sandboxPods(server: KubeApiServer, namespace = NS): IPod[] {
  return (server.listObjects('v1', 'Pod', namespace) as unknown as IPod[]).filter((p) => p.metadata?.labels?.[SANDBOX_POD_LABELS.name] === 'lemur-sandbox');
}

function readyPoolPods(server: KubeApiServer): IPod[] {
  return sandboxPods(server).filter((p) => sandboxPodState(p) === 'pool' && isSandboxPodReady(p));
}

async function expectValid(obj: object): Promise<void> {
  const named = obj as KubeObject;
  // Objects as POSTed carry generateName; the server names them before validating, and so does this check.
  const withName = named.metadata?.name ? named : { ...named, metadata: { ...named.metadata, name: 'lemur-sbx-test-x7k2q' } };
  expect(await validateKubernetesObject(withName)).toEqual([]);
}

describe('kubernetes backend against the in-process API server, with real runner processes as pods', () => {
  let server: KubeApiServer;
  let kube: KubeClient;
  let kubelet: FakeKubelet;
  let app: RunningGrpcApp;
  let client: Client;
  let workRoot: string;
  let runnerPort: number;
  let ownerUid: string;

  beforeAll(async () => {
    server = await KubeApiServer.start({ namespaces: ['default', NS, 'race', 'sweep'], bookmarkIntervalMs: 200 });
    kube = new KubeClient(createKubeConfig({ server: server.url }));
    workRoot = mkdtempSync(join(tmpdir(), 'lemur-k8s-runners-'));
    chmodSync(workRoot, 0o777);
    runnerPort = await freePort();
    // The sandbox service's own pod: it owns the sandbox pods and is the only peer their NetworkPolicy admits.
    const owner: KubeObject = server.putObject<KubeObject>({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'lemur-sandbox-service-0', namespace: NS, labels: SERVICE_LABELS },
      spec: { containers: [{ name: 'service', image: 'lemur/sandbox:test' }] },
    });
    ownerUid = owner.metadata?.uid ?? '';
    kubelet = new FakeKubelet(server, kube, runnerPort, workRoot);
    await kubelet.start();
    app = await startSandbox(
      loadSandboxConfig({
        SANDBOX_GRPC_URL: `127.0.0.1:${await freePort()}`,
        SANDBOX_METRICS_PORT: '0',
        LOG_LEVEL: 'silent',
        SANDBOX_BACKEND: 'kubernetes',
        SANDBOX_K8S_SERVER: server.url,
        SANDBOX_K8S_NAMESPACE: NS,
        SANDBOX_K8S_POOL_SIZE: String(POOL_SIZE),
        SANDBOX_K8S_TEMPLATE: JSON.stringify({ name: 'test', image: 'lemur/sandbox-runner:test', runnerPort }),
        SANDBOX_K8S_OWNER: 'Pod/lemur-sandbox-service-0',
        SANDBOX_K8S_REPLICA: 'lemur-sandbox-service-0',
        SANDBOX_K8S_CLAIM_TIMEOUT_MS: '150000',
        // Short, so the session test sees its pod's TTL renewed; every other claim ends well within it.
        SANDBOX_K8S_CLAIM_TTL_MS: '4000',
        SANDBOX_K8S_SERVICE_LABELS: 'app.kubernetes.io/name=lemur-sandbox-service',
      }),
    );
    client = createGrpcClient(sandboxV1.SandboxService, app.grpcUrl, { defaultDeadlineMs: 180_000 });
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await app?.close();
    await kubelet?.stop();
    await server?.close();
    if (workRoot) rmSync(workRoot, { recursive: true, force: true });
  }, 60_000);

  it('fills the warm pool with Ready pods made from the template, owned by the service', async () => {
    const ready = await waitFor(`${POOL_SIZE} Ready pool pods`, () => {
      const pods = readyPoolPods(server);
      return pods.length === POOL_SIZE && pods;
    });
    for (const pod of ready) {
      expect(pod.metadata?.ownerReferences).toEqual([
        { apiVersion: 'v1', kind: 'Pod', name: 'lemur-sandbox-service-0', uid: ownerUid, controller: true, blockOwnerDeletion: false },
      ]);
      expect(pod.metadata?.labels?.[SANDBOX_POD_LABELS.template]).toBe('test');
      expect(pod.spec?.runtimeClassName).toBe('gvisor');
    }
    // Replacements are not overshot: exactly the pool's pods exist.
    expect(sandboxPods(server)).toHaveLength(POOL_SIZE);
    const metrics = await (await fetch(`${app.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/lemur_sandbox_pod_pool_pods\{template="test",state="ready"\} 2/);
    expect(await client.getCapabilities({})).toMatchObject({ backend: 'kubernetes', seccomp: true, user: '65534' });
  }, 180_000);

  it('runs Python in a claimed pod through the service, deletes that pod, and refills the pool', async () => {
    const before = readyPoolPods(server).map((p) => p.metadata?.name ?? '');
    expect(before).toHaveLength(POOL_SIZE);
    const result = await client.execute({
      language: sandboxV1.Language.PYTHON,
      code: 'import os, sys\nprint(sum(range(10)), os.getuid())\nprint(sorted(os.environ))\nprint("warn", file=sys.stderr)\nsys.exit(3)',
      team: 'team-a',
    });
    expect(result).toMatchObject({
      exitCode: 3,
      stdout: `45 ${POD_UID}\n['HOME', 'LANG', 'PATH', 'TMPDIR']\n`,
      stderr: 'warn\n',
      limitHit: sandboxV1.LimitHit.NONE,
    });

    // Exactly one warm pod was claimed (labelled for the team, annotated with the replica) and is deleted after the run.
    const claimed = await waitFor('the claimed pod to be deleted', () => {
      const gone = before.filter((n) => !sandboxPods(server).some((p) => p.metadata?.name === n));
      return gone.length === 1 && gone[0];
    });
    const last = kubelet.lastSeen.get(claimed);
    expect(last?.metadata?.labels).toMatchObject({ [SANDBOX_POD_LABELS.state]: 'claimed', [SANDBOX_POD_LABELS.team]: teamLabelValue('team-a') });
    expect(last?.metadata?.annotations?.[SANDBOX_CLAIMED_BY_ANNOTATION]).toBe('lemur-sandbox-service-0');

    // The pool refills with a fresh pod: the used one is never handed out again.
    const refilled = await waitFor('the pool to refill', () => {
      const pods = readyPoolPods(server);
      return pods.length === POOL_SIZE && pods;
    });
    expect(refilled.map((p) => p.metadata?.name)).not.toContain(claimed);
    const metrics = await (await fetch(`${app.metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/lemur_sandbox_pod_claim_wait_seconds_count\{template="test",outcome="claimed"\} [1-9]/);
    expect(metrics).toMatch(/lemur_sandbox_runs_total\{language="python",backend="kubernetes",mode="execute",outcome="error"\} 1/);
  }, 180_000);

  it('keeps a session in one pod across cells and deletes the pod when it closes', async () => {
    await waitFor('a Ready pool pod', () => readyPoolPods(server).length > 0);
    const before = new Set(readyPoolPods(server).map((p) => p.metadata?.name ?? ''));
    const { sessionId, backend } = await client.createSession({ language: sandboxV1.Language.PYTHON, team: 'team-b' });
    expect(backend).toBe('kubernetes');
    const claimed = await waitFor('the session pod to show as claimed', () =>
      [...before].find((n) => {
        const pod = kubelet.lastSeen.get(n);
        return pod !== undefined && sandboxPodState(pod) === 'claimed';
      }),
    );
    await client.runCell({ sessionId, team: 'team-b', code: 'x = 20' });
    const expiry = () => Date.parse(kubelet.lastSeen.get(claimed)?.metadata?.annotations?.[SANDBOX_EXPIRES_ANNOTATION] ?? '');
    const firstExpiry = expiry();
    // Past half the claim TTL, the next cell pushes the pod's TTL out, so a busy session is never swept.
    await sleep(2_500);
    const cell = await client.runCell({ sessionId, team: 'team-b', code: 'x * 2 + 2' });
    expect(cell.result?.stdout).toBe('42\n');
    await waitFor('the session pod TTL to be renewed', () => expiry() > firstExpiry, 10_000);
    // Another team cannot reach the session.
    await expect(client.runCell({ sessionId, team: 'team-a', code: 'x' })).rejects.toMatchObject({ code: PlatformErrorCode.SESSION_NOT_FOUND });
    await client.closeSession({ sessionId, team: 'team-b' });
    await waitFor('the session pod to be deleted', () => !sandboxPods(server).some((p) => p.metadata?.name === claimed));
  }, 180_000);

  it('applies the limits and carries workspace files through the pod', async () => {
    const result = await client.execute({
      language: sandboxV1.Language.BASH,
      code: 'tr a-z A-Z < in.txt > out.txt; echo started; sleep 20',
      files: [{ path: 'in.txt', content: new TextEncoder().encode('lemur\n') }],
      readFiles: ['out.txt', 'missing.txt'],
      limits: { wallMs: 1_500 },
    });
    expect(result).toMatchObject({ stdout: 'started\n', timedOut: true, limitHit: sandboxV1.LimitHit.WALL_TIME });
    expect(result.files.map((f) => [f.path, new TextDecoder().decode(f.content)])).toEqual([['out.txt', 'LEMUR\n']]);
    // Limits above the operator's maxima are refused before a pod is taken.
    const claims = () => new Set(kubelet.versions.filter((p) => sandboxPodState(p) === 'claimed').map((p) => p.metadata?.name)).size;
    const before = claims();
    await expect(client.execute({ language: sandboxV1.Language.PYTHON, code: 'print(1)', limits: { wallMs: 10_000_000 } })).rejects.toMatchObject({
      code: PlatformErrorCode.INVALID_ARGUMENT,
    });
    await sleep(500);
    expect(claims()).toBe(before);
  }, 240_000);

  it('survives a program that kills its runner: a clear error, the pod deleted, the next run served', async () => {
    await waitFor('a Ready pool pod', () => readyPoolPods(server).length > 0);
    const before = new Set(sandboxPods(server).map((p) => p.metadata?.name ?? ''));
    const err = await client
      // The program's parent is the runner's launcher; the runner is the launcher's parent.
      .execute({
        language: sandboxV1.Language.PYTHON,
        code: 'import os, signal, time\nrunner = int(open(f"/proc/{os.getppid()}/stat").read().rsplit(") ", 1)[1].split()[1])\nos.kill(runner, signal.SIGKILL)\ntime.sleep(30)',
      })
      .then(() => null, (e: unknown) => e as PlatformError);
    expect(err?.code).toBe(PlatformErrorCode.UPSTREAM_FAILED);
    expect(err?.message).toMatch(/stopped answering/);
    await waitFor('the broken pod to be deleted', () => [...before].some((n) => !sandboxPods(server).some((p) => p.metadata?.name === n)));
    const next = await client.execute({ language: sandboxV1.Language.BASH, code: 'echo still-serving' });
    expect(next.stdout).toBe('still-serving\n');
  }, 240_000);

  it('never hands one pod to two claims, even from two replicas at once', async () => {
    const template: SandboxPodTemplate = { ...DEFAULT_SANDBOX_POD_TEMPLATE, name: 'race' };
    for (let i = 0; i < 6; i++) {
      const pod = renderSandboxPod({ template, namespace: 'race', pool: 'race', owner: null, runnerEnv: {}, now: new Date() });
      server.putObject({ ...pod, status: { phase: 'Running', podIP: `10.1.0.${i + 1}`, conditions: [{ type: 'Ready', status: 'True' }] } } as KubeObject);
    }
    const pools = ['replica-a', 'replica-b'].map(
      (replica) =>
        new PodPool({
          client: kube,
          namespace: 'race',
          template,
          pool: 'race',
          size: 0,
          owner: null,
          runnerEnv: {},
          replica,
          claimTimeoutMs: 1_500,
          claimTtlMs: 60_000,
          metrics: new KubernetesSandboxMetrics(createMetricsRegistry('race')),
          logger: silent,
        }),
    );
    await Promise.all(pools.map((p) => p.start()));
    const conflictsBefore = server.requests.filter((r) => r.method === 'PATCH' && r.status === 409).length;
    try {
      // Eight claims for six pods, issued in the same tick: both replicas go for the same oldest pods first.
      const outcomes = await Promise.allSettled(pools.flatMap((p) => Array.from({ length: 4 }, () => p.claim('team-r'))));
      const won = outcomes.filter((o) => o.status === 'fulfilled').map((o) => o.value.name);
      const lost = outcomes.filter((o) => o.status === 'rejected').map((o) => (o.reason as PlatformError).code);
      expect(won).toHaveLength(6);
      expect(new Set(won).size).toBe(6);
      expect(lost).toEqual([PlatformErrorCode.RESOURCE_EXHAUSTED, PlatformErrorCode.RESOURCE_EXHAUSTED]);
      // The races did happen and were settled by the server's resourceVersion check.
      expect(server.requests.filter((r) => r.method === 'PATCH' && r.status === 409).length).toBeGreaterThan(conflictsBefore);
      const stored = sandboxPods(server, 'race').filter((p) => won.includes(p.metadata?.name ?? ''));
      expect(stored.every((p) => sandboxPodState(p) === 'claimed')).toBe(true);
      expect(new Set(stored.map((p) => p.metadata?.annotations?.[SANDBOX_CLAIMED_BY_ANNOTATION]))).toEqual(new Set(['replica-a', 'replica-b']));
      // The claims left waiting asked for pods of their own (a pool of size 0 still serves, on demand); no kubelet
      // runs them here, so they never became Ready.
      expect(sandboxPods(server, 'race').filter((p) => sandboxPodState(p) === 'pool').length).toBeGreaterThanOrEqual(1);
    } finally {
      await Promise.all(pools.map((p) => p.stop()));
    }
  });

  it('sweeps pods past their TTL and pods whose owner is gone, and keeps live ones', async () => {
    const template: SandboxPodTemplate = { ...DEFAULT_SANDBOX_POD_TEMPLATE, name: 'sweep' };
    const liveOwner = server.putObject<KubeObject>({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'owner-live', namespace: 'sweep' }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    const ownerOf = (name: string, uid: string) => ({ apiVersion: 'v1', kind: 'Pod', name, uid });
    const make = (name: string, owner: ReturnType<typeof ownerOf> | null, expired = false) => {
      const pod = renderSandboxPod({ template, namespace: 'sweep', pool: 'sweep', owner, runnerEnv: {}, now: new Date() });
      const annotations = expired ? { [SANDBOX_EXPIRES_ANNOTATION]: new Date(Date.now() - 1_000).toISOString() } : pod.metadata?.annotations;
      server.putObject({ ...pod, metadata: { ...pod.metadata, name, annotations } } as KubeObject);
    };
    make('keep', ownerOf('owner-live', liveOwner.metadata?.uid ?? ''));
    make('expired', ownerOf('owner-live', liveOwner.metadata?.uid ?? ''), true);
    // A crashed controller's pods: its Pod is gone, or a new one of the same name has another uid.
    make('orphan-gone', ownerOf('owner-crashed', '0b7c6a0e-dead-4bad-8bad-000000000001'));
    make('orphan-recreated', ownerOf('owner-live', '0b7c6a0e-dead-4bad-8bad-000000000002'));

    const sweeper = new PodSweeper(kube, 'sweep', 60_000, new KubernetesSandboxMetrics(createMetricsRegistry('sweep')), silent);
    const result = await sweeper.sweep();
    expect(result.expired).toEqual(['expired']);
    expect(result.orphaned.sort()).toEqual(['orphan-gone', 'orphan-recreated']);
    expect(sandboxPods(server, 'sweep').map((p) => p.metadata?.name)).toEqual(['keep']);
    // A second pass finds nothing more to do.
    expect(await sweeper.sweep()).toEqual({ expired: [], orphaned: [], finished: [] });
  });

  it('wrote only objects that validate, under a NetworkPolicy that denies all egress', async () => {
    expect(kubelet.versions.length).toBeGreaterThanOrEqual(POOL_SIZE + 2);
    for (const pod of kubelet.versions) await expectValid(pod);
    const policy = server.getObject({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', namespace: NS, name: 'lemur-sandbox-test' }) as INetworkPolicy | undefined;
    expect(policy).toBeDefined();
    await expectValid(policy!);
    expect(policy?.spec?.policyTypes).toContain('Egress');
    expect(policy?.spec?.egress).toEqual([]);
    expect(policy?.spec?.ingress).toEqual([{ from: [{ podSelector: { matchLabels: SERVICE_LABELS } }], ports: [{ protocol: 'TCP', port: runnerPort }] }]);
    // It selects every sandbox pod the backend made, and not the service itself.
    const selector = parseLabelSelector(
      Object.entries(policy?.spec?.podSelector?.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    );
    for (const pod of kubelet.versions) expect(matchesLabels(selector, pod.metadata?.labels)).toBe(true);
    expect(matchesLabels(selector, SERVICE_LABELS)).toBe(false);
  });
});
