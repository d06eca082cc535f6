import { createKubeConfig, type ILease, KubeClient, type KubeObject as ApiObject, type ResourceRef } from '@lemur/shared-k8s';
import { createLogger } from '@lemur/shared-logging';
import { KubeApiServer, type KubeObject, validateKubernetesObject } from '@lemur/shared-testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Clock, LeaderElector } from './leader.elector';

const NS = 'models';
const logger = createLogger('inference', 'silent');

/** A client whose API server can be cut off: every read fails while `down`, as over a partitioned network. */
class PartitionedClient extends KubeClient {
  down = false;
  override find<T extends ApiObject>(ref: ResourceRef<T>, name: string, namespace?: string): Promise<T | undefined> {
    if (this.down) return Promise.reject(new Error('connect ECONNREFUSED'));
    return super.find(ref, name, namespace);
  }
}

describe('LeaderElector (a Lease in the in-process API server, a fake clock)', () => {
  let api: KubeApiServer;
  let client: KubeClient;
  let leaseName: string;
  let n = 0;
  const clock: Clock & { t: number } = { t: Date.parse('2026-01-01T00:00:00Z'), now: () => clock.t };
  const lease = () => api.getObject<ILease & KubeObject>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', namespace: NS, name: leaseName });

  /** An elector with a 15 s lease that records its transitions. */
  function elector(identity: string, kube = client): LeaderElector & { transitions: string[] } {
    const transitions: string[] = [];
    const e = new LeaderElector(
      kube,
      { namespace: NS, leaseName, identity, leaseDurationSeconds: 15, clock },
      { onStartedLeading: () => transitions.push('started'), onStoppedLeading: () => transitions.push('stopped') },
      logger,
    );
    return Object.assign(e, { transitions });
  }

  beforeAll(async () => {
    api = await KubeApiServer.start({ namespaces: [NS] });
    client = new KubeClient(createKubeConfig({ server: api.url }));
  });
  afterAll(() => api.close());
  beforeEach(() => {
    leaseName = `ctl-${++n}`;
  });

  it('acquires an absent lease with a schema-valid Lease and renews it without a transition', async () => {
    const a = elector('a');
    await a.tick();
    expect(a.isLeader()).toBe(true);
    expect(a.transitions).toEqual(['started']);
    expect(await validateKubernetesObject(lease()!)).toEqual([]);
    expect(lease()?.spec).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0, renewTime: '2026-01-01T00:00:00.000000Z' });
    clock.t += 5_000;
    await a.tick();
    expect(lease()?.spec).toMatchObject({ holderIdentity: 'a', leaseTransitions: 0, acquireTime: '2026-01-01T00:00:00.000000Z', renewTime: '2026-01-01T00:00:05.000000Z' });
    expect(a.transitions).toEqual(['started']);
  });

  it('leaves a live lease to its holder and takes it over once it has gone a lease duration unchanged, by its own clock', async () => {
    const a = elector('a');
    const b = elector('b');
    await a.tick();
    clock.t += 5_000;
    await b.tick();
    expect(b.isLeader()).toBe(false);
    expect(lease()?.spec?.holderIdentity).toBe('a');
    // a stops renewing (say it hangs). b times the lease from when it first saw this record (5 s in), not from a's
    // renewTime: 15 s after that, and no sooner, the lease is b's.
    clock.t += 14_999;
    await b.tick();
    expect(b.isLeader()).toBe(false);
    clock.t += 2;
    await b.tick();
    expect(b.isLeader()).toBe(true);
    expect(lease()?.spec).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    // a comes back: its renewal finds another holder, and it stops leading at once.
    await a.tick();
    expect(a.isLeader()).toBe(false);
    expect(a.transitions).toEqual(['started', 'stopped']);
    expect(lease()?.spec?.holderIdentity).toBe('b');
  });

  it("does not take a renewed lease from a holder whose clock is an hour behind (pods' clocks need not agree)", async () => {
    const late: Clock = { now: () => clock.t - 3_600_000 };
    const a = new LeaderElector(client, { namespace: NS, leaseName, identity: 'a', leaseDurationSeconds: 15, clock: late }, { onStartedLeading: () => undefined, onStoppedLeading: () => undefined }, logger);
    const b = elector('b');
    await a.tick();
    for (let i = 0; i < 4; i++) {
      await b.tick();
      expect(b.isLeader()).toBe(false);
      clock.t += 5_000;
      await a.tick();
      expect(a.isLeader()).toBe(true);
    }
    expect(lease()?.spec?.holderIdentity).toBe('a');
  });

  it('stops leading when it cannot renew within the renew deadline, before the lease could expire', async () => {
    const partitioned = new PartitionedClient(createKubeConfig({ server: api.url }));
    const a = elector('a', partitioned);
    await a.tick();
    partitioned.down = true;
    // One failed renewal (5 s in) keeps leadership; the second (10 s in, the renew deadline) ends it.
    clock.t += 5_000;
    await a.tick();
    expect(a.isLeader()).toBe(true);
    clock.t += 5_000;
    await a.tick();
    expect(a.isLeader()).toBe(false);
    expect(a.transitions).toEqual(['started', 'stopped']);
    // The lease is still a's and unexpired: nobody else can lead yet, so there is never a moment with two leaders.
    expect(clock.t).toBeLessThan(Date.parse(String(lease()?.spec?.renewTime)) + 15_000);
  });

  it('gives exactly one leader when replicas race for the same lease (409 for the others)', async () => {
    const electors = ['a', 'b', 'c', 'd', 'e'].map((id) => elector(id));
    await Promise.all(electors.map((e) => e.tick()));
    expect(electors.filter((e) => e.isLeader())).toHaveLength(1);
    const winner = electors.find((e) => e.isLeader())!;
    expect(lease()?.spec?.holderIdentity).toBe(winner.identity);
    // Racing again over an expired lease (each rival has seen it, then it went unrenewed for a lease duration): still one.
    const rivals = electors.filter((e) => e !== winner);
    await Promise.all(rivals.map((e) => e.tick()));
    expect(rivals.filter((e) => e.isLeader())).toHaveLength(0);
    clock.t += 16_000;
    await Promise.all(rivals.map((e) => e.tick()));
    expect(rivals.filter((e) => e.isLeader())).toHaveLength(1);
    expect(api.requests.some((r) => r.path.includes(`/leases/${leaseName}`) && r.method === 'PUT' && r.status === 409)).toBe(true);
  });

  it('releases the lease on stop, so another replica acquires it within one retry interval (real timers)', async () => {
    const options = { namespace: NS, leaseName, leaseDurationSeconds: 3, retryIntervalMs: 200 };
    const started: string[] = [];
    const make = (identity: string) => new LeaderElector(client, { ...options, identity }, { onStartedLeading: () => started.push(identity), onStoppedLeading: () => undefined }, logger);
    const a = make('a');
    a.start();
    await expect.poll(() => a.isLeader()).toBe(true);
    const b = make('b');
    b.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(b.isLeader()).toBe(false);
    const stoppedAt = Date.now();
    await a.stop();
    expect(lease()?.spec?.holderIdentity).toBeUndefined();
    await expect.poll(() => b.isLeader(), { interval: 10 }).toBe(true);
    // Far below the 3 s the lease would take to expire.
    expect(Date.now() - stoppedAt).toBeLessThanOrEqual(200 + 150);
    expect(started).toEqual(['a', 'b']);
    await b.stop();
  });
});
