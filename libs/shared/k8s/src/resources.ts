import { type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { type ILease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import { type IEndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import { type INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { type IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { type INamespace } from 'kubernetes-models/v1/Namespace';
import { type IPod } from 'kubernetes-models/v1/Pod';
import { type ISecret } from 'kubernetes-models/v1/Secret';
import { type IService } from 'kubernetes-models/v1/Service';

/** Object metadata as the API server returns it (timestamps are RFC 3339 strings, not Dates). */
export type ObjectMeta = NonNullable<IPod['metadata']>;

/** Any Kubernetes object as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/**
 * Where a kind lives in the REST API. `T` is the object type the helpers return; it is carried by the phantom
 * `_type` field so `client.get(PODS, …)` is typed without casts.
 */
export interface ResourceRef<T extends KubeObject = KubeObject> {
  /** '' for the core group. */
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  readonly _type?: T;
}

/** `apps/v1`, `v1`. */
export function apiVersionOf(ref: Pick<ResourceRef, 'group' | 'version'>): string {
  return ref.group ? `${ref.group}/${ref.version}` : ref.version;
}

/** `/apis/apps/v1/namespaces/ns/deployments/name/status` and its shorter forms. */
export function resourcePath(ref: ResourceRef, namespace?: string, name?: string, subresource?: string): string {
  const base = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  const ns = ref.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const tail = name ? `/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}` : '';
  return `${base}${ns}/${ref.plural}${tail}`;
}

/** A reference to a custom resource, e.g. `customResource<LemurModel>('lemur.dev', 'v1alpha1', 'LemurModel', 'lemurmodels')`. */
export function customResource<T extends KubeObject>(group: string, version: string, kind: string, plural: string, namespaced = true): ResourceRef<T> {
  return { group, version, kind, plural, namespaced };
}

export const NAMESPACES: ResourceRef<INamespace> = { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false };
export const PODS: ResourceRef<IPod> = { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };
export const SERVICES: ResourceRef<IService> = { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true };
export const CONFIG_MAPS: ResourceRef<IConfigMap> = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true };
export const SECRETS: ResourceRef<ISecret> = { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true };
export const DEPLOYMENTS: ResourceRef<IDeployment> = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true };
export const ENDPOINT_SLICES: ResourceRef<IEndpointSlice> = { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true };
export const LEASES: ResourceRef<ILease> = { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true };
export const NETWORK_POLICIES: ResourceRef<INetworkPolicy> = { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true };
export const POD_DISRUPTION_BUDGETS: ResourceRef<IPodDisruptionBudget> = { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true };

export type { IConfigMap, IDeployment, IEndpointSlice, ILease, INamespace, INetworkPolicy, IPod, IPodDisruptionBudget, ISecret, IService };
