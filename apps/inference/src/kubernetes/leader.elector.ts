import { isAlreadyExists, isConflict, type ILease, type KubeClient, LEASES } from '@lemur/shared-k8s';
import type { Logger } from '@lemur/shared-logging';

/** The clock the elector reads; injected so tests can step time past a lease's expiry. */
export interface Clock {
  now(): number;
}

export interface LeaderElectorOptions {
  namespace: string;
  /** The Lease's name, shared by every replica that competes. */
  leaseName: string;
  /** Unique per process: a restarted pod with the same name must not inherit a lease it no longer renews. */
  identity: string;
  /** How long a lease holds without renewal. Default 15 s, as client-go's leaderelection. */
  leaseDurationSeconds?: number;
  /** Time between attempts to acquire or renew. Default a third of the lease duration. */
  retryIntervalMs?: number;
  /** A leader that could not renew for this long stops leading, before the lease can expire under it. Default two thirds of the lease duration. */
  renewDeadlineMs?: number;
  clock?: Clock;
}

export interface LeaderCallbacks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

/** What a round found: we hold the lease, someone else holds it, or the API server could not be asked. */
type Attempt = 'held' | 'other' | 'error';

/** RFC 3339 with microseconds: the MicroTime format of a Lease's renewTime and acquireTime. */
const microTime = (ms: number): string => new Date(ms).toISOString().replace(/Z$/, '000Z');

/**
 * Leader election over a `coordination.k8s.io/v1` Lease, the way client-go's leaderelection does it: a replica takes
 * the lease only when it is absent, released, already ours, or expired (unchanged for a lease duration as this
 * replica's clock measures it since it last saw the record change), and every write
 * carries the resourceVersion it read, so two replicas racing for it get one success and one 409. The leader renews
 * every retry interval and stops leading as soon as a renewal shows another holder or it has gone a renew deadline
 * (shorter than the lease) without one; on stop it releases the lease so another replica takes over at once.
 */
export class LeaderElector {
  private readonly leaseDurationMs: number;
  private readonly retryIntervalMs: number;
  private readonly renewDeadlineMs: number;
  private readonly clock: Clock;
  private leading = false;
  private lastRenewedAt = 0;
  /** The lease record as last seen (its resourceVersion) and when, by this process's clock: see tryAcquireOrRenew. */
  private observed: { resourceVersion: string; at: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private stopped = true;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderElectorOptions,
    private readonly callbacks: LeaderCallbacks,
    private readonly logger: Logger,
  ) {
    const seconds = options.leaseDurationSeconds ?? 15;
    this.leaseDurationMs = seconds * 1000;
    this.retryIntervalMs = options.retryIntervalMs ?? this.leaseDurationMs / 3;
    this.renewDeadlineMs = options.renewDeadlineMs ?? (this.leaseDurationMs * 2) / 3;
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  get identity(): string {
    return this.options.identity;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** Starts competing: one round now, then one every retry interval. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const loop = (): void => {
      this.round = this.tick().finally(() => {
        this.round = undefined;
        if (!this.stopped) this.timer = setTimeout(loop, this.retryIntervalMs).unref();
      });
    };
    loop();
  }

  /** Stops competing; a leader releases the lease (empty holder) so the next replica need not wait for it to expire. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.round;
    if (!this.leading) return;
    this.setLeading(false, 'shutting down');
    try {
      await this.client.updateWithRetry(LEASES, this.options.leaseName, this.options.namespace, (lease) => {
        if (lease.spec?.holderIdentity !== this.options.identity) return undefined;
        const spec = { ...lease.spec };
        delete spec.holderIdentity;
        return { ...lease, spec: { ...spec, leaseDurationSeconds: 1, renewTime: microTime(this.clock.now()) } };
      });
    } catch (err) {
      this.logger.warn({ lease: this.options.leaseName, err }, 'could not release the leader lease; another replica takes it once it expires');
    }
  }

  /** One round: acquire or renew, and start or stop leading on the outcome. */
  async tick(): Promise<void> {
    const now = this.clock.now();
    const attempt = await this.tryAcquireOrRenew(now);
    if (attempt === 'held') {
      this.lastRenewedAt = now;
      if (!this.leading) this.setLeading(true, 'acquired the lease');
    } else if (this.leading && (attempt === 'other' || this.clock.now() - this.lastRenewedAt >= this.renewDeadlineMs)) {
      this.setLeading(false, attempt === 'other' ? 'another replica holds the lease' : 'could not renew the lease in time');
    }
  }

  private setLeading(leading: boolean, reason: string): void {
    this.leading = leading;
    this.logger.info({ lease: this.options.leaseName, identity: this.options.identity, reason }, leading ? 'started leading' : 'stopped leading');
    if (leading) this.callbacks.onStartedLeading();
    else this.callbacks.onStoppedLeading();
  }

  private async tryAcquireOrRenew(now: number): Promise<Attempt> {
    const { namespace, leaseName, identity } = this.options;
    const renewTime = microTime(now);
    const leaseDurationSeconds = this.leaseDurationMs / 1000;
    try {
      const current = await this.client.find(LEASES, leaseName, namespace);
      if (!current) {
        const lease: ILease = {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: leaseName, namespace },
          spec: { holderIdentity: identity, leaseDurationSeconds, acquireTime: renewTime, renewTime, leaseTransitions: 0 },
        };
        await this.client.create(LEASES, lease);
        return 'held';
      }
      const spec = current.spec ?? {};
      const holder = spec.holderIdentity;
      // Expiry is timed by this process's clock from when the record last changed (as client-go does), not from the
      // holder's renewTime: pods' clocks need not agree. A candidate that has just started waits one lease duration.
      const resourceVersion = current.metadata?.resourceVersion ?? '';
      if (this.observed?.resourceVersion !== resourceVersion) this.observed = { resourceVersion, at: now };
      const expiresAt = this.observed.at + (spec.leaseDurationSeconds ?? 0) * 1000;
      if (holder && holder !== identity && expiresAt > now) return 'other';
      const takingOver = holder !== identity;
      // The resourceVersion read above makes this a compare-and-swap: a replica that wrote in between wins, we get 409.
      await this.client.replace(LEASES, {
        ...current,
        spec: {
          ...spec,
          holderIdentity: identity,
          leaseDurationSeconds,
          renewTime,
          ...(takingOver ? { acquireTime: renewTime, leaseTransitions: (spec.leaseTransitions ?? 0) + 1 } : {}),
        },
      });
      return 'held';
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) return 'other';
      this.logger.warn({ lease: leaseName, err }, 'could not acquire or renew the leader lease');
      return 'error';
    }
  }
}
