import { Watch } from '@kubernetes/client-node';
import { isGone } from './kube-api-error';
import { type KubeClient } from './kube-client';
import { type KubeObject, type ResourceRef, resourcePath } from './resources';

/** A change seen by an informer. On a re-list, differences against the cache arrive as the same events. */
export type InformerEvent<T> = { type: 'add'; object: T } | { type: 'update'; object: T; previous: T } | { type: 'delete'; object: T };

/** The few logger methods the informer uses (a pino logger fits). */
export interface InformerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface InformerOptions {
  /** Watch one namespace (default: all namespaces, or the cluster for cluster-scoped kinds). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Reconnect back-off after a failure: starts here, doubles, capped at maxBackoffMs. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Each watch asks the server to end it after about this long, so connections are refreshed. Default 300 s. */
  watchTimeoutSeconds?: number;
  logger?: InformerLogger;
}

type WatchOutcome = 'gone' | 'closed';

const keyOf = (obj: KubeObject): string => `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;

/**
 * Keeps a local cache of one kind in sync with the API server by list + watch, like client-go's reflector:
 * watches resume from the last resourceVersion seen (events and bookmarks advance it), a `410 Gone` makes it list
 * again (and report the differences as events), and dropped connections are re-opened with exponential back-off.
 */
export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: ((event: InformerEvent<T>) => void)[] = [];
  private readonly watch: Watch;
  private resourceVersionSeen = '';
  private stopped = true;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private listCount = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly ref: ResourceRef<T>,
    private readonly options: InformerOptions = {},
  ) {
    this.watch = new Watch(client.kubeConfig);
  }

  /** Subscribes to changes; returns a function that unsubscribes. Handlers must not throw (errors are logged). */
  on(handler: (event: InformerEvent<T>) => void): () => void {
    this.handlers.push(handler);
    return () => {
      const index = this.handlers.indexOf(handler);
      if (index >= 0) this.handlers.splice(index, 1);
    };
  }

  /** Starts the list + watch loop; resolves once the first list has filled the cache. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    let synced!: () => void;
    const firstSync = new Promise<void>((done) => (synced = done));
    this.loop = this.run(synced);
    await firstSync;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
    await this.loop;
  }

  /** Cached objects. */
  list(): T[] {
    return [...this.cache.values()];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(`${namespace ?? ''}/${name}`);
  }

  /** The last resourceVersion seen (from a list, an event or a bookmark). */
  get resourceVersion(): string {
    return this.resourceVersionSeen;
  }

  /** How many times the informer has listed (1 after start; more after 410 Gone). */
  get lists(): number {
    return this.listCount;
  }

  private emit(event: InformerEvent<T>): void {
    for (const handler of [...this.handlers]) {
      try {
        handler(event);
      } catch (err) {
        this.options.logger?.warn({ err, kind: this.ref.kind }, 'informer handler failed');
      }
    }
  }

  private async run(synced: () => void): Promise<void> {
    const minBackoff = this.options.minBackoffMs ?? 250;
    const maxBackoff = this.options.maxBackoffMs ?? 30_000;
    let backoff = minBackoff;
    let mustList = true;
    while (!this.stopped) {
      try {
        if (mustList) {
          await this.relist();
          mustList = false;
          synced();
        }
        const { outcome, delivered } = await this.watchOnce();
        if (outcome === 'gone') {
          this.options.logger?.info({ kind: this.ref.kind, resourceVersion: this.resourceVersionSeen }, 'watch expired (410 Gone), listing again');
          mustList = true;
          continue;
        }
        // A watch that ends normally after delivering something is routine (server timeout); one that ends at once is not.
        if (delivered) {
          backoff = minBackoff;
          continue;
        }
      } catch (err) {
        if (this.stopped) break;
        if (isGone(err)) mustList = true;
        this.options.logger?.warn({ err, kind: this.ref.kind, backoffMs: backoff }, 'list/watch failed, retrying');
      }
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, maxBackoff);
    }
  }

  private async relist(): Promise<void> {
    const { items, resourceVersion } = await this.client.list(this.ref, this.options);
    this.listCount++;
    const fresh = new Map(items.map((item) => [keyOf(item), item]));
    for (const [key, previous] of this.cache) {
      if (!fresh.has(key)) {
        this.cache.delete(key);
        this.emit({ type: 'delete', object: previous });
      }
    }
    for (const [key, object] of fresh) {
      const previous = this.cache.get(key);
      this.cache.set(key, object);
      if (!previous) this.emit({ type: 'add', object });
      else if (previous.metadata?.resourceVersion !== object.metadata?.resourceVersion) this.emit({ type: 'update', object, previous });
    }
    this.resourceVersionSeen = resourceVersion;
  }

  private watchOnce(): Promise<{ outcome: WatchOutcome; delivered: boolean }> {
    const timeout = this.options.watchTimeoutSeconds ?? 300;
    return new Promise((resolve, reject) => {
      let delivered = false;
      let gone = false;
      const onEvent = (phase: string, obj: T & { code?: number }): void => {
        delivered = true;
        if (phase === 'ERROR') {
          if (obj.code === 410) gone = true;
          else this.options.logger?.warn({ kind: this.ref.kind, status: obj }, 'watch error event');
          this.abort?.abort();
          return;
        }
        const rv = obj.metadata?.resourceVersion;
        if (rv) this.resourceVersionSeen = rv;
        if (phase === 'BOOKMARK') return;
        const object = { ...obj, apiVersion: obj.apiVersion ?? `${this.ref.group ? `${this.ref.group}/` : ''}${this.ref.version}`, kind: obj.kind ?? this.ref.kind };
        const key = keyOf(object);
        const previous = this.cache.get(key);
        if (phase === 'DELETED') {
          this.cache.delete(key);
          this.emit({ type: 'delete', object });
        } else {
          this.cache.set(key, object);
          this.emit(previous ? { type: 'update', object, previous } : { type: 'add', object });
        }
      };
      const onDone = (err: unknown): void => {
        this.abort = undefined;
        // Aborting our own request (stop, or after an ERROR event) surfaces as an AbortError: not a failure.
        if (err && !gone && !this.stopped && (err as { name?: string }).name !== 'AbortError') reject(err);
        else resolve({ outcome: gone ? 'gone' : 'closed', delivered });
      };
      const query = {
        resourceVersion: this.resourceVersionSeen,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.round(timeout * (1 + Math.random())),
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
      };
      this.watch.watch(resourcePath(this.ref, this.options.namespace), query, onEvent, onDone).then(
        (controller) => {
          if (this.stopped) controller.abort();
          else this.abort = controller;
        },
        reject,
      );
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((done) => {
      const timer = setTimeout(done, ms);
      this.wake = () => {
        clearTimeout(timer);
        done();
      };
    });
  }
}
