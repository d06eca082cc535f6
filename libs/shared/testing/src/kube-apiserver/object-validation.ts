import { type FieldError, type KubeObject } from './resource-types';

interface ModelClass {
  new (data: never): { validate(): void };
}

type ModelLoader = () => Promise<ModelClass>;

interface BuiltinKind {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  statusSubresource: boolean;
  /**
   * kubernetes-models is ESM-only (no `require` export): loading it with a dynamic import keeps this library
   * importable from CommonJS code (tsx scripts, benches) that never starts the server.
   */
  load: ModelLoader;
  /** Names that must be DNS-1035 labels (Services) or DNS-1123 labels (Namespaces) instead of subdomains. */
  nameRule?: 'label' | 'label1035';
}

/** The built-in kinds the in-process API server serves, each validated with the kubernetes-models schema. */
export const BUILTIN_KINDS: BuiltinKind[] = [
  { group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', namespaced: false, statusSubresource: true, load: async () => (await import('kubernetes-models/v1/Namespace')).Namespace, nameRule: 'label' },
  { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true, statusSubresource: true, load: async () => (await import('kubernetes-models/v1/Pod')).Pod },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, statusSubresource: true, load: async () => (await import('kubernetes-models/v1/Service')).Service, nameRule: 'label1035' },
  { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespaced: true, statusSubresource: false, load: async () => (await import('kubernetes-models/v1/ConfigMap')).ConfigMap },
  { group: '', version: 'v1', kind: 'Secret', plural: 'secrets', namespaced: true, statusSubresource: false, load: async () => (await import('kubernetes-models/v1/Secret')).Secret },
  { group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', namespaced: true, statusSubresource: false, load: async () => (await import('kubernetes-models/v1/ServiceAccount')).ServiceAccount },
  { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', namespaced: true, statusSubresource: true, load: async () => (await import('kubernetes-models/apps/v1/Deployment')).Deployment },
  { group: 'apps', version: 'v1', kind: 'StatefulSet', plural: 'statefulsets', namespaced: true, statusSubresource: true, load: async () => (await import('kubernetes-models/apps/v1/StatefulSet')).StatefulSet },
  { group: 'batch', version: 'v1', kind: 'Job', plural: 'jobs', namespaced: true, statusSubresource: true, load: async () => (await import('kubernetes-models/batch/v1/Job')).Job },
  { group: 'autoscaling', version: 'v2', kind: 'HorizontalPodAutoscaler', plural: 'horizontalpodautoscalers', namespaced: true, statusSubresource: true, load: async () => (await import('kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler')).HorizontalPodAutoscaler },
  { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true, statusSubresource: false, load: async () => (await import('kubernetes-models/discovery.k8s.io/v1/EndpointSlice')).EndpointSlice },
  { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', namespaced: true, statusSubresource: false, load: async () => (await import('kubernetes-models/coordination.k8s.io/v1/Lease')).Lease },
  { group: 'networking.k8s.io', version: 'v1', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true, statusSubresource: false, load: async () => (await import('kubernetes-models/networking.k8s.io/v1/NetworkPolicy')).NetworkPolicy },
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, statusSubresource: true, load: async () => (await import('kubernetes-models/policy/v1/PodDisruptionBudget')).PodDisruptionBudget },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role', plural: 'roles', namespaced: true, statusSubresource: false, load: async () => (await import('kubernetes-models/rbac.authorization.k8s.io/v1/Role')).Role },
  { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'RoleBinding', plural: 'rolebindings', namespaced: true, statusSubresource: false, load: async () => (await import('kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding')).RoleBinding },
  { group: 'apiextensions.k8s.io', version: 'v1', kind: 'CustomResourceDefinition', plural: 'customresourcedefinitions', namespaced: false, statusSubresource: true, load: async () => (await import('kubernetes-models/apiextensions.k8s.io/v1/CustomResourceDefinition')).CustomResourceDefinition },
];

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Validates a name against the rule of its kind (the API server rejects what these reject). */
export function validateName(name: unknown, rule: BuiltinKind['nameRule'] | 'subdomain' = 'subdomain'): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'name or generateName is required';
  if (rule === 'label' && (name.length > 63 || !DNS1123_LABEL.test(name))) return `a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-' (at most 63)`;
  if (rule === 'label1035' && (name.length > 63 || !DNS1035_LABEL.test(name))) return `a DNS-1035 label must start with a letter and consist of lower case alphanumeric characters or '-' (at most 63)`;
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) return `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`;
  return undefined;
}

function validateQualifiedKey(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) return 'prefix part must be a DNS-1123 subdomain';
  if (name.length > 63 || !QUALIFIED_NAME.test(name)) return `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63)`;
  return undefined;
}

/** Validation the API server applies to every object's metadata (labels, annotation keys, owner references). */
export function validateMetadata(obj: KubeObject, nameRule: BuiltinKind['nameRule'] | 'subdomain' = 'subdomain'): FieldError[] {
  const errors: FieldError[] = [];
  const meta = obj.metadata ?? {};
  const nameError = validateName(meta.name, nameRule);
  if (nameError) errors.push({ field: 'metadata.name', message: `Invalid value: ${JSON.stringify(meta.name)}: ${nameError}` });
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    const keyError = validateQualifiedKey(key);
    if (keyError) errors.push({ field: 'metadata.labels', message: `Invalid value: ${JSON.stringify(key)}: ${keyError}` });
    if (typeof value !== 'string' || value.length > 63 || (value !== '' && !QUALIFIED_NAME.test(value)))
      errors.push({ field: 'metadata.labels', message: `Invalid value: ${JSON.stringify(value)}: a valid label value must be 63 characters or less and consist of alphanumerics, '-', '_' or '.'` });
  }
  for (const key of Object.keys(meta.annotations ?? {})) {
    const keyError = validateQualifiedKey(key);
    if (keyError) errors.push({ field: 'metadata.annotations', message: `Invalid value: ${JSON.stringify(key)}: ${keyError}` });
  }
  if ((meta.ownerReferences ?? []).filter((ref) => ref.controller).length > 1)
    errors.push({ field: 'metadata.ownerReferences', message: 'Only one reference can have Controller set to true' });
  return errors;
}

type Json = Record<string, unknown>;
const asRecord = (v: unknown): Json | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Semantic checks on a pod spec that the schema cannot express (and that bite at apply time on a real cluster). */
function validatePodSpec(spec: Json | undefined, path: string, claimTemplates: unknown[] = []): FieldError[] {
  if (!spec) return [];
  const errors: FieldError[] = [];
  // A StatefulSet's volumeClaimTemplates are volumes of its pods too, by their metadata.name.
  const volumes = new Set([...asArray(spec['volumes']).map((v) => asRecord(v)?.['name']), ...claimTemplates.map((t) => asRecord(asRecord(t)?.['metadata'])?.['name'])]);
  const seen = new Set<unknown>();
  const containers = [...asArray(spec['containers']), ...asArray(spec['initContainers'])];
  containers.forEach((raw, i) => {
    const c = asRecord(raw) ?? {};
    const name = c['name'];
    if (typeof name !== 'string' || !DNS1123_LABEL.test(name)) errors.push({ field: `${path}.containers[${i}].name`, message: `Invalid value: ${JSON.stringify(name)}: must be a DNS-1123 label` });
    if (seen.has(name)) errors.push({ field: `${path}.containers[${i}].name`, message: `Duplicate value: ${JSON.stringify(name)}` });
    seen.add(name);
    for (const m of asArray(c['volumeMounts'])) {
      const mountName = asRecord(m)?.['name'];
      if (!volumes.has(mountName)) errors.push({ field: `${path}.containers[${i}].volumeMounts.name`, message: `Not found: ${JSON.stringify(mountName)}` });
    }
    const resources = asRecord(c['resources']);
    const requests = asRecord(resources?.['requests']) ?? {};
    const limits = asRecord(resources?.['limits']) ?? {};
    for (const [resource, quantity] of Object.entries(requests)) {
      // Extended resources (e.g. nvidia.com/gpu) cannot be overcommitted: requests must equal limits.
      if (resource.includes('/') && !resource.startsWith('kubernetes.io/') && String(limits[resource]) !== String(quantity))
        errors.push({ field: `${path}.containers[${i}].resources.requests[${resource}]`, message: `Invalid value: ${JSON.stringify(quantity)}: must be equal to ${resource} limit` });
    }
  });
  return errors;
}

function selectorMatchesTemplate(obj: Json, path: string): FieldError[] {
  const spec = asRecord(obj['spec']);
  const selector = asRecord(asRecord(spec?.['selector'])?.['matchLabels']) ?? {};
  const labels = asRecord(asRecord(asRecord(spec?.['template'])?.['metadata'])?.['labels']) ?? {};
  const ok = Object.entries(selector).every(([k, v]) => labels[k] === v);
  return ok ? [] : [{ field: `${path}.template.metadata.labels`, message: 'Invalid value: `selector` does not match template `labels`' }];
}

/** Kind-specific semantic validation beyond the OpenAPI schema. */
function semanticErrors(kind: string, obj: Json): FieldError[] {
  const spec = asRecord(obj['spec']);
  switch (kind) {
    case 'Pod':
      return validatePodSpec(spec, 'spec');
    case 'Deployment':
    case 'StatefulSet':
    case 'Job':
      return [
        ...(kind === 'Job' ? [] : selectorMatchesTemplate(obj, 'spec')),
        ...validatePodSpec(asRecord(asRecord(spec?.['template'])?.['spec']), 'spec.template.spec', kind === 'StatefulSet' ? asArray(spec?.['volumeClaimTemplates']) : []),
      ];
    case 'Service': {
      const ports = asArray(spec?.['ports']);
      if (ports.length > 1 && ports.some((p) => !asRecord(p)?.['name'])) return [{ field: 'spec.ports.name', message: 'Required value: when there are multiple ports, each must be named' }];
      return [];
    }
    default:
      return [];
  }
}

function schemaErrors(err: unknown): FieldError[] {
  const ajvErrors = (err as { errors?: { instancePath?: string; message?: string }[] }).errors;
  if (!ajvErrors) return [{ field: '', message: err instanceof Error ? err.message : String(err) }];
  return ajvErrors.map((e) => ({ field: (e.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.'), message: e.message ?? 'invalid' }));
}

const models = new Map<string, ModelClass>();

/** Loads the kubernetes-models classes of every built-in kind; needed once before {@link validateBuiltin}. */
export async function loadBuiltinModels(): Promise<void> {
  if (models.size === BUILTIN_KINDS.length) return;
  await Promise.all(BUILTIN_KINDS.map(async (k) => models.set(k.kind, await k.load())));
}

/** Validates a built-in object with its kubernetes-models schema plus the server's semantic rules. */
export function validateBuiltin(kind: BuiltinKind, obj: KubeObject): FieldError[] {
  const model = models.get(kind.kind);
  if (!model) throw new Error('loadBuiltinModels() must finish before validating built-in kinds');
  const errors = validateMetadata(obj, kind.nameRule);
  try {
    new model(obj as never).validate();
  } catch (err) {
    errors.push(...schemaErrors(err));
  }
  errors.push(...semanticErrors(kind.kind, obj));
  return errors;
}

/** Looks a built-in kind up by apiVersion and kind. */
export function findBuiltinKind(apiVersion: unknown, kind: unknown): BuiltinKind | undefined {
  return BUILTIN_KINDS.find((k) => (k.group ? `${k.group}/${k.version}` : k.version) === apiVersion && k.kind === kind);
}

/** Fields the API server refuses to change on update (422 "field is immutable"), for the kinds that have them. */
export function immutableFieldErrors(kind: string, prev: KubeObject, next: KubeObject): FieldError[] {
  const spec = (o: KubeObject): Json => asRecord(o['spec']) ?? {};
  const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
  switch (kind) {
    case 'Deployment':
    case 'StatefulSet':
      return same(spec(prev)['selector'], spec(next)['selector']) ? [] : [{ field: 'spec.selector', message: 'Invalid value: field is immutable' }];
    case 'Job':
      return same(asRecord(spec(prev)['template']), asRecord(spec(next)['template'])) ? [] : [{ field: 'spec.template', message: 'Invalid value: field is immutable' }];
    case 'Service': {
      const before = spec(prev)['clusterIP'];
      const after = spec(next)['clusterIP'];
      return after === undefined || after === '' || same(before, after) ? [] : [{ field: 'spec.clusterIP', message: 'Invalid value: field is immutable' }];
    }
    case 'Pod': {
      // A pod's spec is fixed once created, except container images, activeDeadlineSeconds and added tolerations.
      const mutable = (o: KubeObject): Json => {
        const s = { ...spec(o) };
        for (const key of ['containers', 'initContainers']) s[key] = asArray(s[key]).map((c) => ({ ...asRecord(c), image: undefined }));
        delete s['activeDeadlineSeconds'];
        delete s['tolerations'];
        return s;
      };
      return same(mutable(prev), mutable(next)) ? [] : [{ field: 'spec', message: 'Forbidden: pod updates may not change fields other than container images, activeDeadlineSeconds or tolerations' }];
    }
    default:
      return [];
  }
}
