import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type CrdObject, loadCrdFiles, resourceTypesFromCrd, validateCrd } from './crd-schema';
import { LabelSelectorError, type LabelRequirement, matchesLabels, parseLabelSelector } from './label-selector';
import { BUILTIN_KINDS, immutableFieldErrors, loadBuiltinModels, validateBuiltin } from './object-validation';
import { applyJsonPatch, applyMergePatch, JsonPatchError } from './patch';
import {
  apiVersionOf,
  type FieldError,
  type KubeObject,
  type ObjectMeta,
  newUid,
  qualifiedResource,
  type ResourceType,
  timestampNow,
} from './resource-types';

/** Options of {@link KubeApiServer.start}. */
export interface KubeApiServerOptions {
  /** Folders whose `*.yaml` CustomResourceDefinitions are served from the start (e.g. `k8s/crds`). */
  crdDirs?: string[];
  /** Events kept for watches that resume from a resourceVersion; older ones get `410 Gone`. Default 1000. */
  historySize?: number;
  /** How often a watch that asked for bookmarks gets one. Default 1000 ms (a real server: about a minute). */
  bookmarkIntervalMs?: number;
  /** Namespaces that exist from the start. Default `['default']`. */
  namespaces?: string[];
}

/** Addresses one stored object in the test helpers. */
export interface ObjectKey {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** A request the server answered, kept so tests can assert e.g. "watched, did not poll". */
export interface RecordedRequest {
  method: string;
  path: string;
  watch: boolean;
  status: number;
}

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface StoredEvent {
  rv: number;
  storageKey: string;
  type: EventType;
  object: KubeObject;
  previous?: KubeObject;
}

interface Watcher {
  storageKey: string;
  apiVersion: string;
  namespace?: string;
  name?: string;
  selector: LabelRequirement[];
  send(type: string, object: unknown): void;
  close(): void;
}

interface ResourcePath {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

const storageKeyOf = (type: Pick<ResourceType, 'group' | 'plural'>): string => `${type.group}/${type.plural}`;
const objectKeyOf = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;
const clone = <T>(value: T): T => structuredClone(value);
const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted, so equal objects written in a different key order compare equal. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** Everything but metadata and status: a change here bumps metadata.generation. */
function specPart(obj: KubeObject): string {
  const { metadata: _m, status: _s, ...rest } = obj;
  return canonicalJson(rest);
}

/** Equality for no-op detection: a write that changes nothing does not bump resourceVersion (as on a real server). */
function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

function builtinDefaults(kind: string, obj: KubeObject, allocateClusterIp: () => string): void {
  const spec = (obj['spec'] ?? {}) as Record<string, unknown>;
  if (kind === 'Deployment' || kind === 'StatefulSet') {
    spec['replicas'] ??= 1;
    spec['revisionHistoryLimit'] ??= 10;
  }
  if (kind === 'Deployment') spec['strategy'] ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  if (kind === 'Service') {
    spec['type'] ??= 'ClusterIP';
    if (spec['clusterIP'] === undefined) spec['clusterIP'] = allocateClusterIp();
  }
  if (kind === 'Pod' && obj['status'] === undefined) obj['status'] = { phase: 'Pending' };
}

/**
 * An in-process Kubernetes API server for tests: a real HTTP server on 127.0.0.1 speaking the REST and watch protocol
 * (namespaced paths, list/watch with resourceVersion and bookmarks, 410 Gone after compaction, 409 on stale writes,
 * merge and JSON patch, `/status`, owner-reference garbage collection) and validating every write against the
 * Kubernetes OpenAPI schemas (kubernetes-models for built-in kinds, the CRD's openAPIV3Schema for custom resources).
 */
export class KubeApiServer {
  readonly url: string;
  /** Every request answered, in order. */
  readonly requests: RecordedRequest[] = [];
  private readonly types = new Map<string, ResourceType>();
  private readonly store = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoredEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly crds = new Map<string, CrdObject>();
  private rv = 0;
  /** Watches from a resourceVersion below this one can no longer be served. */
  private compactedRv = 0;
  private nextClusterIp = 1;
  private watchesSuspended = false;

  private constructor(
    private readonly server: Server,
    private readonly options: Required<Omit<KubeApiServerOptions, 'crdDirs' | 'namespaces'>>,
  ) {
    const { port } = server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}`;
  }

  /** Starts a server on a free loopback port. */
  static async start(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
    await loadBuiltinModels();
    const server = createServer();
    await new Promise<void>((done, fail) => server.once('error', fail).listen(0, '127.0.0.1', () => done()));
    const api = new KubeApiServer(server, { historySize: options.historySize ?? 1000, bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000 });
    server.on('request', (req, res) => void api.handle(req, res));
    for (const kind of BUILTIN_KINDS) {
      api.registerType({
        ...kind,
        applyDefaults: (obj) => builtinDefaults(kind.kind, obj, () => api.allocateClusterIp()),
        validate: (obj) => (kind.kind === 'CustomResourceDefinition' ? validateCrd(obj) : validateBuiltin(kind, obj)),
      });
    }
    for (const ns of options.namespaces ?? ['default']) api.putObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const dir of options.crdDirs ?? []) for (const crd of loadCrdFiles(dir)) api.putObject(crd);
    return api;
  }

  /** Serves an extra resource type (CRDs are registered by creating them; this is for anything else). */
  registerType(type: ResourceType): void {
    this.types.set(`${apiVersionOf(type)}/${type.plural}`, type);
    if (!this.store.has(storageKeyOf(type))) this.store.set(storageKeyOf(type), new Map());
  }

  /** The CustomResourceDefinitions being served, for validating custom resources outside the server. */
  customResourceDefinitions(): CrdObject[] {
    return [...this.crds.values()].map(clone);
  }

  // ---- test helpers: act as the rest of the cluster (kubelet, controllers) ----

  /** The stored object, or undefined. */
  getObject<T extends KubeObject = KubeObject>(key: ObjectKey): T | undefined {
    const type = this.typeOfKind(key.apiVersion, key.kind);
    const obj = this.store.get(storageKeyOf(type))?.get(objectKeyOf(type.namespaced ? key.namespace : undefined, key.name));
    return obj ? (clone({ ...obj, apiVersion: key.apiVersion }) as T) : undefined;
  }

  /** Stored objects of a kind (in a namespace, if given). */
  listObjects<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, namespace?: string): T[] {
    const type = this.typeOfKind(apiVersion, kind);
    return [...(this.store.get(storageKeyOf(type))?.values() ?? [])]
      .filter((o) => namespace === undefined || o.metadata?.namespace === namespace)
      .map((o) => clone({ ...o, apiVersion }) as T);
  }

  /**
   * Creates or overwrites an object as a cluster component would (no resourceVersion precondition, status kept),
   * still validated: throws on an invalid object. Returns the stored object.
   */
  putObject<T extends KubeObject>(obj: T): T {
    const type = this.typeOfKind(obj.apiVersion ?? '', obj.kind ?? '');
    const namespace = type.namespaced ? (obj.metadata?.namespace ?? 'default') : undefined;
    const prev = this.store.get(storageKeyOf(type))?.get(objectKeyOf(namespace, obj.metadata?.name ?? ''));
    const next = clone(obj) as KubeObject;
    next.metadata = { ...next.metadata, namespace, resourceVersion: undefined };
    return (prev ? this.commitUpdate(type, prev, next, false) : this.commitCreate(type, next, true)) as T;
  }

  /** Replaces an object's status (as the kubelet or a controller would) and emits MODIFIED. */
  setStatus(key: ObjectKey, status: unknown): KubeObject {
    const type = this.typeOfKind(key.apiVersion, key.kind);
    const prev = this.mustGet(type, type.namespaced ? key.namespace : undefined, key.name);
    return this.commitUpdate(type, prev, { ...clone(prev), status: clone(status) }, false);
  }

  /** Deletes an object (with owner-reference garbage collection); no-op when absent. */
  deleteObject(key: ObjectKey): void {
    const type = this.typeOfKind(key.apiVersion, key.kind);
    const prev = this.store.get(storageKeyOf(type))?.get(objectKeyOf(type.namespaced ? key.namespace : undefined, key.name));
    if (prev) this.deleteStored(type, prev, 'Background');
  }

  /** Forgets the event history: a watch resuming from any earlier resourceVersion now gets 410 Gone. */
  compactHistory(): void {
    this.history.length = 0;
    this.compactedRv = this.rv;
  }

  /** Ends every open watch stream, as an API server restart or a load balancer timeout would. */
  dropWatches(): void {
    for (const w of [...this.watchers]) w.close();
  }

  /**
   * Ends every watch and answers new ones `503 ServiceUnavailable` until {@link resumeWatches}: clients are cut off
   * (as in a network partition) while writes go on, so together with {@link compactHistory} they come back to a 410.
   */
  suspendWatches(): void {
    this.watchesSuspended = true;
    this.dropWatches();
  }

  resumeWatches(): void {
    this.watchesSuspended = false;
  }

  /** Open watch streams, optionally only those of one plural resource (e.g. 'lemurmodels'). */
  activeWatches(plural?: string): number {
    return [...this.watchers].filter((w) => plural === undefined || w.storageKey.endsWith(`/${plural}`)).length;
  }

  /** The current resourceVersion of the whole store. */
  get resourceVersion(): string {
    return String(this.rv);
  }

  async close(): Promise<void> {
    this.dropWatches();
    await new Promise<void>((done) => {
      this.server.close(() => done());
      this.server.closeAllConnections();
    });
  }

  // ---- storage ----

  private allocateClusterIp(): string {
    const n = this.nextClusterIp++;
    return `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  }

  private typeOfKind(apiVersion: string, kind: string): ResourceType {
    for (const type of this.types.values()) if (apiVersionOf(type) === apiVersion && type.kind === kind) return type;
    throw new Error(`the in-process API server does not serve ${apiVersion} ${kind}`);
  }

  private mustGet(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(storageKeyOf(type))?.get(objectKeyOf(namespace, name));
    if (!obj) throw new ApiError(404, 'NotFound', `${qualifiedResource(type)} "${name}" not found`, { name, group: type.group, kind: type.plural });
    return obj;
  }

  private invalid(type: ResourceType, name: string, errors: FieldError[]): ApiError {
    const kindName = type.group ? `${type.kind}.${type.group}` : type.kind;
    const list = errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message));
    return new ApiError(422, 'Invalid', `${kindName} "${name}" is invalid: ${list.length === 1 ? list[0] : `[${list.join(', ')}]`}`, {
      name,
      group: type.group,
      kind: type.kind,
      causes: errors.map((e) => ({ reason: 'FieldValueInvalid', message: e.message, field: e.field })),
    });
  }

  private validateAndDefault(type: ResourceType, obj: KubeObject): void {
    type.applyDefaults?.(obj);
    const errors = type.validate(obj);
    if (errors.length > 0) throw this.invalid(type, obj.metadata?.name ?? '', errors);
  }

  private emit(type: ResourceType, eventType: EventType, object: KubeObject, previous?: KubeObject): void {
    const event: StoredEvent = { rv: this.rv, storageKey: storageKeyOf(type), type: eventType, object: clone(object), ...(previous ? { previous: clone(previous) } : {}) };
    this.history.push(event);
    while (this.history.length > this.options.historySize) this.compactedRv = this.history.shift()?.rv ?? this.compactedRv;
    for (const w of this.watchers) this.deliver(w, event);
  }

  private commitCreate(type: ResourceType, input: KubeObject, keepStatus: boolean): KubeObject {
    const obj = clone(input);
    const meta: ObjectMeta = { ...obj.metadata };
    if (!meta.name && meta.generateName) meta.name = meta.generateName + Array.from({ length: 5 }, () => GENERATE_NAME_ALPHABET[randomInt(GENERATE_NAME_ALPHABET.length)]).join('');
    const name = meta.name ?? '';
    if (type.namespaced && meta.namespace && !this.store.get('/namespaces')?.has(objectKeyOf(undefined, meta.namespace)))
      throw new ApiError(404, 'NotFound', `namespaces "${meta.namespace}" not found`, { name: meta.namespace, kind: 'namespaces' });
    const bucket = this.store.get(storageKeyOf(type)) ?? new Map<string, KubeObject>();
    if (bucket.has(objectKeyOf(meta.namespace, name)))
      throw new ApiError(409, 'AlreadyExists', `${qualifiedResource(type)} "${name}" already exists`, { name, group: type.group, kind: type.plural });
    if (type.statusSubresource && !keepStatus) delete obj['status'];
    obj.apiVersion = apiVersionOf(type);
    obj.kind = type.kind;
    obj.metadata = { ...meta, name, uid: newUid(), creationTimestamp: timestampNow(), generation: 1 };
    delete obj.metadata.resourceVersion;
    delete obj.metadata.deletionTimestamp;
    this.validateAndDefault(type, obj);
    if (type.kind === 'CustomResourceDefinition') this.serveCrd(obj as CrdObject);
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    bucket.set(objectKeyOf(meta.namespace, name), obj);
    this.store.set(storageKeyOf(type), bucket);
    this.emit(type, 'ADDED', obj);
    return clone(obj);
  }

  /** Writes `next` over `prev` (identity, generation and timestamps are the server's), or deletes it when its last finalizer went. */
  private commitUpdate(type: ResourceType, prev: KubeObject, input: KubeObject, checkVersion: boolean): KubeObject {
    const next = clone(input);
    const name = prev.metadata?.name ?? '';
    const sentVersion = next.metadata?.resourceVersion;
    if (checkVersion && sentVersion && sentVersion !== prev.metadata?.resourceVersion)
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualifiedResource(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group: type.group, kind: type.plural },
      );
    next.apiVersion = apiVersionOf(type);
    next.kind = type.kind;
    next.metadata = {
      ...next.metadata,
      name,
      namespace: prev.metadata?.namespace,
      uid: prev.metadata?.uid,
      creationTimestamp: prev.metadata?.creationTimestamp,
      generation: prev.metadata?.generation ?? 1,
      resourceVersion: prev.metadata?.resourceVersion,
      ...(prev.metadata?.deletionTimestamp ? { deletionTimestamp: prev.metadata.deletionTimestamp } : {}),
    };
    if (next.metadata.namespace === undefined) delete next.metadata.namespace;
    this.validateAndDefault(type, next);
    const immutable = type.group === 'apiextensions.k8s.io' || type.crdUid !== undefined ? [] : immutableFieldErrors(type.kind, prev, next);
    if (immutable.length > 0) throw this.invalid(type, name, immutable);
    // Compared after defaulting, so a write that only omits defaulted fields is not a spec change.
    if (specPart(prev) !== specPart(next)) next.metadata.generation = (prev.metadata?.generation ?? 1) + 1;
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      this.removeStored(type, next);
      return clone(next);
    }
    if (sameContent(prev, next)) return clone(prev);
    this.rv++;
    next.metadata.resourceVersion = String(this.rv);
    this.store.get(storageKeyOf(type))?.set(objectKeyOf(next.metadata.namespace, name), next);
    this.emit(type, 'MODIFIED', next, prev);
    return clone(next);
  }

  private removeStored(type: ResourceType, obj: KubeObject): void {
    const key = objectKeyOf(obj.metadata?.namespace, obj.metadata?.name ?? '');
    if (!this.store.get(storageKeyOf(type))?.delete(key)) return;
    this.rv++;
    const gone = { ...clone(obj), metadata: { ...obj.metadata, resourceVersion: String(this.rv) } };
    this.emit(type, 'DELETED', gone);
    if (type.kind === 'CustomResourceDefinition') this.unserveCrd(obj as CrdObject);
    if (type.kind === 'Namespace') {
      for (const [storageKey, bucket] of this.store) {
        const t = [...this.types.values()].find((x) => storageKeyOf(x) === storageKey);
        if (!t?.namespaced) continue;
        for (const o of [...bucket.values()]) if (o.metadata?.namespace === obj.metadata?.name) this.removeStored(t, o);
      }
    }
  }

  /** Objects that name `uid` as an owner, with their types. */
  private dependentsOf(uid: string | undefined): { type: ResourceType; obj: KubeObject }[] {
    if (!uid) return [];
    const out: { type: ResourceType; obj: KubeObject }[] = [];
    for (const type of new Map([...this.types.values()].map((t) => [storageKeyOf(t), t])).values()) {
      for (const obj of this.store.get(storageKeyOf(type))?.values() ?? []) {
        if (obj.metadata?.ownerReferences?.some((r) => r.uid === uid)) out.push({ type, obj });
      }
    }
    return out;
  }

  private uidExists(uid: string): boolean {
    for (const bucket of this.store.values()) for (const o of bucket.values()) if (o.metadata?.uid === uid) return true;
    return false;
  }

  /** Garbage collection of an owner's dependents: those with no remaining owner are deleted, the rest lose the reference. */
  private collectDependents(uid: string | undefined, policy: string): void {
    for (const { type, obj } of this.dependentsOf(uid)) {
      const current = this.store.get(storageKeyOf(type))?.get(objectKeyOf(obj.metadata?.namespace, obj.metadata?.name ?? ''));
      if (!current) continue;
      const remaining = (current.metadata?.ownerReferences ?? []).filter((r) => r.uid !== uid && this.uidExists(r.uid));
      if (policy === 'Orphan' || remaining.length > 0) {
        this.commitUpdate(type, current, { ...clone(current), metadata: { ...current.metadata, ownerReferences: remaining.length > 0 ? remaining : undefined } }, false);
      } else this.deleteStored(type, current, policy);
    }
  }

  private deleteStored(type: ResourceType, obj: KubeObject, policy: string): KubeObject {
    const uid = obj.metadata?.uid;
    if (policy === 'Foreground') this.collectDependents(uid, policy);
    if ((obj.metadata?.finalizers ?? []).length > 0) {
      if (obj.metadata?.deletionTimestamp) return clone(obj);
      return this.commitUpdate(type, obj, { ...clone(obj), metadata: { ...obj.metadata, deletionTimestamp: timestampNow() } }, false);
    }
    this.removeStored(type, obj);
    // The garbage collector is a separate controller: dependents go shortly after their owner, not in the same write.
    if (policy !== 'Foreground') setImmediate(() => this.collectDependents(uid, policy));
    return clone(obj);
  }

  private serveCrd(crd: CrdObject): void {
    for (const type of resourceTypesFromCrd(crd)) this.registerType(type);
    crd.status = { conditions: [{ type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }], acceptedNames: crd.spec.names, storedVersions: crd.spec.versions.filter((v) => v.storage).map((v) => v.name) };
    this.crds.set(crd.metadata?.name ?? '', crd);
  }

  private unserveCrd(crd: CrdObject): void {
    const storageKey = `${crd.spec.group}/${crd.spec.names.plural}`;
    const type = [...this.types.values()].find((t) => storageKeyOf(t) === storageKey);
    if (type) for (const obj of [...(this.store.get(storageKey)?.values() ?? [])]) this.removeStored(type, obj);
    for (const [key, t] of this.types) if (storageKeyOf(t) === storageKey) this.types.delete(key);
    this.store.delete(storageKey);
    this.crds.delete(crd.metadata?.name ?? '');
  }

  // ---- watch ----

  private matches(w: Watcher, obj: KubeObject | undefined): boolean {
    if (!obj) return false;
    if (w.namespace !== undefined && obj.metadata?.namespace !== w.namespace) return false;
    if (w.name !== undefined && obj.metadata?.name !== w.name) return false;
    return matchesLabels(w.selector, obj.metadata?.labels);
  }

  private deliver(w: Watcher, event: StoredEvent): void {
    if (event.storageKey !== w.storageKey) return;
    const now = this.matches(w, event.object);
    const before = event.type === 'MODIFIED' ? this.matches(w, event.previous) : now;
    const object = { ...event.object, apiVersion: w.apiVersion };
    // A change that moves an object into or out of a selector looks like ADDED/DELETED to that watch.
    if (now && before) w.send(event.type, object);
    else if (now && !before) w.send('ADDED', object);
    else if (!now && before) w.send('DELETED', object);
  }

  private startWatch(req: IncomingMessage, res: ServerResponse, path: ResourcePath, query: URLSearchParams, selector: LabelRequirement[], fieldName: string | undefined): void {
    const { type } = path;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache, private' });
    // Clients wait for the headers before reading events: send them now, not with the first event.
    res.flushHeaders();
    const send = (eventType: string, object: unknown): void => void res.write(`${JSON.stringify({ type: eventType, object })}\n`);
    const from = query.get('resourceVersion');
    const fromRv = from && from !== '0' ? Number(from) : undefined;
    if (fromRv !== undefined && (!Number.isInteger(fromRv) || fromRv < this.compactedRv)) {
      send('ERROR', statusBody(410, 'Expired', `too old resource version: ${from} (${this.compactedRv + 1})`));
      res.end();
      return;
    }
    const timers: NodeJS.Timeout[] = [];
    const watcher: Watcher = {
      storageKey: storageKeyOf(type),
      apiVersion: apiVersionOf(type),
      ...(path.namespace !== undefined ? { namespace: path.namespace } : {}),
      ...(fieldName !== undefined ? { name: fieldName } : {}),
      selector,
      send,
      close: () => {
        if (!this.watchers.delete(watcher)) return;
        for (const t of timers) clearTimeout(t);
        res.end();
      },
    };
    if (fromRv === undefined) {
      for (const obj of this.store.get(storageKeyOf(type))?.values() ?? []) if (this.matches(watcher, obj)) send('ADDED', { ...obj, apiVersion: watcher.apiVersion });
    } else {
      for (const event of this.history) if (event.rv > fromRv) this.deliver(watcher, event);
    }
    this.watchers.add(watcher);
    if (['1', 'true'].includes(query.get('allowWatchBookmarks') ?? '')) {
      timers.push(
        setInterval(() => send('BOOKMARK', { kind: type.kind, apiVersion: watcher.apiVersion, metadata: { resourceVersion: String(this.rv) } }), this.options.bookmarkIntervalMs),
      );
    }
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? '0');
    if (timeoutSeconds > 0) timers.push(setTimeout(() => watcher.close(), timeoutSeconds * 1000));
    req.on('close', () => watcher.close());
  }

  // ---- HTTP ----

  private parsePath(segments: string[]): ResourcePath | undefined {
    let apiVersion: string;
    let rest: string[];
    if (segments[0] === 'api' && segments.length >= 3) {
      apiVersion = segments[1] ?? '';
      rest = segments.slice(2);
    } else if (segments[0] === 'apis' && segments.length >= 4) {
      apiVersion = `${segments[1]}/${segments[2]}`;
      rest = segments.slice(3);
    } else return undefined;
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && this.types.has(`${apiVersion}/${rest[2]}`)) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const type = this.types.get(`${apiVersion}/${rest[0]}`);
    if (!type || rest.length > 3) return undefined;
    if (namespace !== undefined && !type.namespaced) return undefined;
    return { type, ...(namespace !== undefined ? { namespace } : {}), ...(rest[1] ? { name: rest[1] } : {}), ...(rest[2] ? { subresource: rest[2] } : {}) };
  }

  private discovery(segments: string[]): unknown {
    const all = [...this.types.values()];
    if (segments.length === 1 && segments[0] === 'api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
    if (segments.length === 1 && segments[0] === 'apis') {
      const groups = [...new Set(all.filter((t) => t.group).map((t) => t.group))];
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: groups.map((name) => {
          const versions = [...new Set(all.filter((t) => t.group === name).map((t) => t.version))].map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
          return { name, versions, preferredVersion: versions[0] };
        }),
      };
    }
    const groupVersion = segments[0] === 'api' && segments.length === 2 ? (segments[1] ?? '') : segments[0] === 'apis' && segments.length === 3 ? `${segments[1]}/${segments[2]}` : undefined;
    if (groupVersion === undefined) return undefined;
    const resources = all.filter((t) => apiVersionOf(t) === groupVersion);
    if (resources.length === 0) return undefined;
    const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion,
      resources: resources.flatMap((t) => [
        { name: t.plural, singularName: t.kind.toLowerCase(), namespaced: t.namespaced, kind: t.kind, verbs },
        ...(t.statusSubresource ? [{ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] }] : []),
      ]),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const isWatch = ['1', 'true'].includes(url.searchParams.get('watch') ?? '');
    const record = (status: number): void => void this.requests.push({ method, path: url.pathname + url.search, watch: isWatch, status });
    const reply = (code: number, body: unknown): void => {
      record(code);
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    try {
      const segments = url.pathname.split('/').filter((s) => s.length > 0).map(decodeURIComponent);
      if (['healthz', 'readyz', 'livez'].includes(segments[0] ?? '')) {
        record(200);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return;
      }
      if (segments[0] === 'version') return reply(200, { major: '1', minor: '33', gitVersion: 'v1.33.0-lemur-inprocess' });
      const path = this.parsePath(segments);
      if (!path) {
        const doc = method === 'GET' ? this.discovery(segments) : undefined;
        if (doc) return reply(200, doc);
        throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      }
      const body = method === 'POST' || method === 'PUT' || method === 'PATCH' || method === 'DELETE' ? await readBody(req) : undefined;
      if (method === 'GET' && !path.name) {
        const selector = parseSelector(url.searchParams.get('labelSelector'));
        const fieldName = parseFieldSelector(url.searchParams.get('fieldSelector'), path);
        if (isWatch) {
          if (this.watchesSuspended) throw new ApiError(503, 'ServiceUnavailable', 'the watch cache is not ready; retry later');
          record(200);
          this.startWatch(req, res, path, url.searchParams, selector, fieldName);
          return;
        }
        return reply(200, this.list(path, selector, fieldName));
      }
      const result = this.dispatch(method, path, body, url.searchParams, req.headers['content-type'] ?? '');
      return reply(method === 'POST' ? 201 : 200, result);
    } catch (err) {
      if (err instanceof ApiError) return reply(err.code, statusBody(err.code, err.reason, err.message, err.details));
      return reply(500, statusBody(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`));
    }
  }

  private list(path: ResourcePath, selector: LabelRequirement[], fieldName: string | undefined): unknown {
    const { type } = path;
    const items = [...(this.store.get(storageKeyOf(type))?.values() ?? [])]
      .filter((o) => path.namespace === undefined || o.metadata?.namespace === path.namespace)
      .filter((o) => fieldName === undefined || o.metadata?.name === fieldName)
      .filter((o) => matchesLabels(selector, o.metadata?.labels))
      .sort((a, b) => objectKeyOf(a.metadata?.namespace, a.metadata?.name ?? '').localeCompare(objectKeyOf(b.metadata?.namespace, b.metadata?.name ?? '')))
      .map((o) => ({ ...o, apiVersion: apiVersionOf(type) }));
    return { apiVersion: apiVersionOf(type), kind: `${type.kind}List`, metadata: { resourceVersion: String(this.rv) }, items };
  }

  private dispatch(method: string, path: ResourcePath, body: unknown, query: URLSearchParams, contentType: string): unknown {
    const { type, namespace, name, subresource } = path;
    if (type.namespaced && namespace === undefined && method !== 'GET') throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    if (subresource !== undefined && (subresource !== 'status' || !type.statusSubresource)) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    switch (method) {
      case 'GET':
        return this.mustGet(type, namespace, name ?? '');
      case 'POST': {
        if (name) throw new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        const obj = checkBody(body, type, namespace, undefined);
        return this.commitCreate(type, obj, false);
      }
      case 'PUT': {
        const obj = checkBody(body, type, namespace, name);
        const prev = this.mustGet(type, namespace, name ?? '');
        return this.writeUpdate(type, prev, obj, subresource === 'status');
      }
      case 'PATCH': {
        const prev = this.mustGet(type, namespace, name ?? '');
        const mediaType = contentType.split(';')[0]?.trim() ?? '';
        let patched: unknown;
        try {
          if (mediaType === 'application/merge-patch+json' || mediaType === 'application/strategic-merge-patch+json') patched = applyMergePatch(clone(prev), body);
          else if (mediaType === 'application/json-patch+json') patched = applyJsonPatch(prev, body);
          else throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
        } catch (err) {
          if (err instanceof JsonPatchError) throw new ApiError(422, 'Invalid', `the server rejected our request due to an error in our request: ${err.message}`);
          throw err;
        }
        const obj = patched as KubeObject;
        // A patch only carries a resourceVersion precondition when the patch itself names one.
        const precondition = (body as { metadata?: { resourceVersion?: string } } | undefined)?.metadata?.resourceVersion;
        obj.metadata = { ...obj.metadata, resourceVersion: mediaType === 'application/json-patch+json' ? obj.metadata?.resourceVersion : precondition };
        return this.writeUpdate(type, prev, obj, subresource === 'status');
      }
      case 'DELETE': {
        if (!name) return this.deleteCollection(path, query);
        const prev = this.mustGet(type, namespace, name);
        const options = (body ?? {}) as { propagationPolicy?: string; preconditions?: { uid?: string; resourceVersion?: string } };
        if (options.preconditions?.uid && options.preconditions.uid !== prev.metadata?.uid)
          throw new ApiError(409, 'Conflict', `Precondition failed: UID in precondition: ${options.preconditions.uid}, UID in object meta: ${prev.metadata?.uid}`);
        if (options.preconditions?.resourceVersion && options.preconditions.resourceVersion !== prev.metadata?.resourceVersion)
          throw new ApiError(409, 'Conflict', `Precondition failed: ResourceVersion in precondition: ${options.preconditions.resourceVersion}, ResourceVersion in object meta: ${prev.metadata?.resourceVersion}`);
        return this.deleteStored(type, prev, options.propagationPolicy ?? query.get('propagationPolicy') ?? 'Background');
      }
      default:
        throw new ApiError(405, 'MethodNotAllowed', `method ${method} is not allowed`);
    }
  }

  private writeUpdate(type: ResourceType, prev: KubeObject, obj: KubeObject, statusOnly: boolean): KubeObject {
    let next: KubeObject;
    if (statusOnly) next = { ...clone(prev), status: obj['status'], metadata: { ...prev.metadata, resourceVersion: obj.metadata?.resourceVersion } };
    else if (type.statusSubresource) next = { ...obj, status: clone(prev['status']) };
    else next = obj;
    if (next['status'] === undefined) delete next['status'];
    return this.commitUpdate(type, prev, next, true);
  }

  private deleteCollection(path: ResourcePath, query: URLSearchParams): unknown {
    const selector = parseSelector(query.get('labelSelector'));
    const items = (this.list(path, selector, undefined) as { items: KubeObject[] }).items;
    for (const obj of items) {
      const current = this.store.get(storageKeyOf(path.type))?.get(objectKeyOf(obj.metadata?.namespace, obj.metadata?.name ?? ''));
      if (current) this.deleteStored(path.type, current, query.get('propagationPolicy') ?? 'Background');
    }
    return { apiVersion: apiVersionOf(path.type), kind: `${path.type.kind}List`, metadata: { resourceVersion: String(this.rv) }, items };
  }
}

function statusBody(code: number, reason: string, message: string, details?: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

function parseSelector(text: string | null): LabelRequirement[] {
  try {
    return parseLabelSelector(text ?? '');
  } catch (err) {
    if (err instanceof LabelSelectorError) throw new ApiError(400, 'BadRequest', `unable to parse requirement: ${err.message}`);
    throw err;
  }
}

/** Only `metadata.name=` (and the path's own namespace) is supported, which is what informers for one object use. */
function parseFieldSelector(text: string | null, path: ResourcePath): string | undefined {
  if (!text) return undefined;
  let name: string | undefined;
  for (const part of text.split(',')) {
    const [field, value] = part.split('=');
    if (field === 'metadata.name') name = value;
    else if (field === 'metadata.namespace' && value === path.namespace) continue;
    else throw new ApiError(400, 'BadRequest', `field label not supported: ${field}`);
  }
  return name;
}

function checkBody(body: unknown, type: ResourceType, namespace: string | undefined, name: string | undefined): KubeObject {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'BadRequest', 'the request body must be a JSON object');
  const obj = body as KubeObject;
  if (!obj.kind) throw new ApiError(400, 'BadRequest', "Object 'Kind' is missing in the request body");
  if (obj.kind !== type.kind || obj.apiVersion !== apiVersionOf(type))
    throw new ApiError(400, 'BadRequest', `the API version in the data (${String(obj.apiVersion)}) and kind (${obj.kind}) do not match the endpoint (${apiVersionOf(type)}, ${type.kind})`);
  const meta = obj.metadata ?? {};
  if (type.namespaced && meta.namespace && meta.namespace !== namespace)
    throw new ApiError(400, 'BadRequest', 'the namespace of the provided object does not match the namespace sent on the request');
  if (name !== undefined && meta.name !== name) throw new ApiError(400, 'BadRequest', 'the name of the object does not match the name on the URL');
  obj.metadata = { ...meta, ...(type.namespaced ? { namespace } : {}) };
  return obj;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(400, 'BadRequest', 'the request body is not valid JSON');
  }
}
