import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { type KubeConfig } from '@kubernetes/client-node';
import { isConflict, isNotFound, KubeApiError, type KubeStatus } from './kube-api-error';
import { apiVersionOf, type KubeObject, type ResourceRef, resourcePath } from './resources';

/** A page of objects and the resourceVersion to watch from. */
export interface ObjectList<T> {
  items: T[];
  resourceVersion: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface DeleteOptions {
  /** Background (default), Foreground or Orphan, as for `kubectl delete --cascade`. */
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
}

/** `merge` is RFC 7386 JSON merge patch; `json` is an RFC 6902 operation list. */
export type PatchType = 'merge' | 'json';

const PATCH_CONTENT_TYPE: Record<PatchType, string> = { merge: 'application/merge-patch+json', json: 'application/json-patch+json' };

/** Deep equality of JSON values, ignoring key order (objects read back from the server reorder keys). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

interface RequestSpec {
  method: string;
  path: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  contentType?: string;
}

/**
 * A small typed client for the Kubernetes REST API. Authentication and TLS come from a `KubeConfig`
 * (@kubernetes/client-node); requests and answers are plain JSON (RFC 3339 strings stay strings), the same shape
 * watches deliver, so cached and freshly read objects compare equal.
 */
export class KubeClient {
  private readonly server: string;

  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly requestTimeoutMs = 30_000,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster; set a context or pass a server URL');
    this.server = cluster.server.replace(/\/$/, '');
  }

  /** Reads one object; throws KubeApiError (404 when absent). */
  get<T extends KubeObject>(ref: ResourceRef<T>, name: string, namespace?: string): Promise<T> {
    return this.send<T>({ method: 'GET', path: resourcePath(ref, namespace, name) });
  }

  /** Reads one object, or undefined when it does not exist. */
  async find<T extends KubeObject>(ref: ResourceRef<T>, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return await this.get(ref, name, namespace);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Lists objects (in one namespace, or all when `namespace` is omitted for a namespaced kind). */
  async list<T extends KubeObject>(ref: ResourceRef<T>, options: ListOptions = {}): Promise<ObjectList<T>> {
    const answer = await this.send<{ items?: T[]; metadata?: { resourceVersion?: string } }>({
      method: 'GET',
      path: resourcePath(ref, options.namespace),
      query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector },
    });
    // Lists may omit each item's apiVersion/kind; fill them so items look like single reads.
    const items = (answer.items ?? []).map((item) => ({ ...item, apiVersion: apiVersionOf(ref), kind: ref.kind }));
    return { items, resourceVersion: answer.metadata?.resourceVersion ?? '' };
  }

  create<T extends KubeObject>(ref: ResourceRef<T>, obj: T): Promise<T> {
    return this.send<T>({ method: 'POST', path: resourcePath(ref, obj.metadata?.namespace), body: this.withTypeMeta(ref, obj) });
  }

  /** PUT: fails with 409 when `obj.metadata.resourceVersion` is stale. */
  replace<T extends KubeObject>(ref: ResourceRef<T>, obj: T): Promise<T> {
    return this.send<T>({ method: 'PUT', path: resourcePath(ref, obj.metadata?.namespace, this.nameOf(obj)), body: this.withTypeMeta(ref, obj) });
  }

  /** PUT to the `/status` subresource: only the status changes. */
  replaceStatus<T extends KubeObject>(ref: ResourceRef<T>, obj: T): Promise<T> {
    return this.send<T>({ method: 'PUT', path: resourcePath(ref, obj.metadata?.namespace, this.nameOf(obj), 'status'), body: this.withTypeMeta(ref, obj) });
  }

  patch<T extends KubeObject>(ref: ResourceRef<T>, name: string, patch: unknown, options: { namespace?: string; type?: PatchType } = {}): Promise<T> {
    return this.send<T>({ method: 'PATCH', path: resourcePath(ref, options.namespace, name), body: patch, contentType: PATCH_CONTENT_TYPE[options.type ?? 'merge'] });
  }

  /** Patches the `/status` subresource (merge patch by default), e.g. `{ status: { conditions } }`. */
  patchStatus<T extends KubeObject>(ref: ResourceRef<T>, name: string, patch: unknown, options: { namespace?: string; type?: PatchType } = {}): Promise<T> {
    return this.send<T>({ method: 'PATCH', path: resourcePath(ref, options.namespace, name, 'status'), body: patch, contentType: PATCH_CONTENT_TYPE[options.type ?? 'merge'] });
  }

  /** Deletes an object; returns false when it was already gone. */
  async delete(ref: ResourceRef, name: string, namespace?: string, options: DeleteOptions = {}): Promise<boolean> {
    try {
      await this.send({ method: 'DELETE', path: resourcePath(ref, namespace, name), body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: options.propagationPolicy ?? 'Background' } });
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /**
   * Read-modify-write with optimistic concurrency: reads the object, applies `mutate` to a copy, and replaces it,
   * starting over on 409 Conflict (someone wrote in between). `mutate` returns undefined to leave the object alone.
   * With `status: true` the write goes to the `/status` subresource.
   */
  async updateWithRetry<T extends KubeObject>(
    ref: ResourceRef<T>,
    name: string,
    namespace: string | undefined,
    mutate: (current: T) => T | undefined | Promise<T | undefined>,
    options: { attempts?: number; status?: boolean } = {},
  ): Promise<T> {
    const attempts = options.attempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(ref, name, namespace);
      const next = await mutate(structuredClone(current));
      if (next === undefined || sameJson(next, current)) return current;
      try {
        return options.status ? await this.replaceStatus(ref, next) : await this.replace(ref, next);
      } catch (err) {
        if (!isConflict(err) || attempt >= attempts) throw err;
      }
    }
  }

  /**
   * Creates `desired`, or when it exists, writes `merge(current, desired)` with conflict retry (for controllers that
   * own some fields of an object and must keep the others, e.g. `spec.replicas` set by an autoscaler).
   */
  async createOrUpdate<T extends KubeObject>(ref: ResourceRef<T>, desired: T, merge: (current: T, desired: T) => T = (_c, d) => d): Promise<T> {
    const name = this.nameOf(desired);
    const namespace = desired.metadata?.namespace;
    for (let attempt = 1; ; attempt++) {
      const current = await this.find(ref, name, namespace);
      try {
        if (!current) return await this.create(ref, desired);
        const next = merge(structuredClone(current), structuredClone(desired));
        next.metadata = { ...next.metadata, resourceVersion: current.metadata?.resourceVersion };
        if (sameJson(next, current)) return current;
        return await this.replace(ref, next);
      } catch (err) {
        const raced = err instanceof KubeApiError && err.code === 409;
        if (!raced || attempt >= 5) throw err;
      }
    }
  }

  private nameOf(obj: KubeObject): string {
    const name = obj.metadata?.name;
    if (!name) throw new Error('the object has no metadata.name');
    return name;
  }

  private withTypeMeta<T extends KubeObject>(ref: ResourceRef<T>, obj: T): T {
    return { ...obj, apiVersion: apiVersionOf(ref), kind: ref.kind };
  }

  private async send<T>(spec: RequestSpec): Promise<T> {
    const url = new URL(this.server + spec.path);
    for (const [key, value] of Object.entries(spec.query ?? {})) if (value) url.searchParams.set(key, value);
    const options: RequestOptions = { method: spec.method, headers: {} };
    // Fills in TLS material, an agent and the Authorization header (tokens are re-read, so rotation works).
    await this.kubeConfig.applyToHTTPSOptions(options);
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    options.headers = { ...options.headers, accept: 'application/json', ...(payload !== undefined ? { 'content-type': spec.contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) };
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.setTimeout(this.requestTimeoutMs, () => req.destroy(new Error(`${spec.method} ${url.pathname} timed out after ${this.requestTimeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (status >= 200 && status < 300) return parsed as T;
    const body = (parsed ?? {}) as KubeStatus;
    throw new KubeApiError(status, body.reason ?? 'Unknown', body.message ?? `${spec.method} ${url.pathname} answered ${status}: ${text.slice(0, 200)}`, body);
  }
}
