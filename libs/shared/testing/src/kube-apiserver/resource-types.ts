import { randomUUID } from 'node:crypto';

/** A JSON object as the API server stores it. */
export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
};

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  [key: string]: unknown;
}

/** One field error, as in the `causes` of a 422 Status. */
export interface FieldError {
  field: string;
  message: string;
}

/** A kind the in-process API server serves: where it lives in the URL space and how its objects are validated. */
export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Writes to the main endpoint keep the stored status; only `/status` changes it (as for every built-in with status). */
  statusSubresource: boolean;
  /** Fills server-side defaults before validation (e.g. a Deployment's replicas). */
  applyDefaults?(obj: KubeObject): void;
  /** Schema + semantic validation; an empty list means valid. */
  validate(obj: KubeObject): FieldError[];
  /** For CRDs: the CRD object itself, so it can be listed/deleted. */
  crdUid?: string;
}

export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

/** `deployments.apps`, `pods`: the resource name real error messages use. */
export function qualifiedResource(type: Pick<ResourceType, 'group' | 'plural'>): string {
  return type.group ? `${type.plural}.${type.group}` : type.plural;
}

export function newUid(): string {
  return randomUUID();
}

/** RFC 3339 at second precision, as `metadata.creationTimestamp` is written. */
export function timestampNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
