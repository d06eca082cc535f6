import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { findBuiltinKind, loadBuiltinModels, validateBuiltin, validateMetadata } from './object-validation';
import { type FieldError, type KubeObject, type ResourceType } from './resource-types';

type Schema = Record<string, unknown>;

/** The parts of a CustomResourceDefinition the server needs. */
export interface CrdObject extends KubeObject {
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: { kind: string; plural: string; singular?: string; listKind?: string };
    versions: { name: string; served: boolean; storage: boolean; schema?: { openAPIV3Schema?: Schema }; subresources?: { status?: object } }[];
  };
}

const ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true, logger: false });
for (const format of ['int32', 'int64', 'float', 'double', 'byte', 'binary', 'password']) ajv.addFormat(format, true);
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
ajv.addFormat('quantity', /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/);

/**
 * Makes a structural schema strict: an object that declares `properties` and neither `additionalProperties` nor
 * `x-kubernetes-preserve-unknown-fields` rejects unknown fields (the server's `fieldValidation=Strict`), so a typo in
 * a manifest fails the test instead of being pruned silently.
 */
function strictSchema(schema: Schema): Schema {
  const out: Schema = { ...schema };
  if (out['x-kubernetes-int-or-string'] === true && out['type'] === undefined) out['anyOf'] = [{ type: 'integer' }, { type: 'string' }];
  // OpenAPI 3.0 spells exclusive bounds as booleans beside minimum/maximum; JSON Schema (ajv) as the bound itself.
  for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    if (typeof out[flag] === 'boolean') {
      if (out[flag] === true) out[flag] = out[bound];
      else delete out[flag];
      if (out[flag] !== undefined) delete out[bound];
    }
  }
  if (out['properties'] && typeof out['properties'] === 'object') {
    out['properties'] = Object.fromEntries(Object.entries(out['properties'] as Record<string, Schema>).map(([k, v]) => [k, strictSchema(v)]));
    if (out['additionalProperties'] === undefined && out['x-kubernetes-preserve-unknown-fields'] !== true) out['additionalProperties'] = false;
  }
  if (out['items'] && typeof out['items'] === 'object') out['items'] = strictSchema(out['items'] as Schema);
  if (out['additionalProperties'] && typeof out['additionalProperties'] === 'object') out['additionalProperties'] = strictSchema(out['additionalProperties'] as Schema);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    if (Array.isArray(out[key])) out[key] = (out[key] as Schema[]).map((s) => strictSchema({ ...s }));
  }
  if (out['not'] && typeof out['not'] === 'object') out['not'] = strictSchema(out['not'] as Schema);
  return out;
}

const compiled = new WeakMap<Schema, ValidateFunction>();

function compileVersionSchema(openAPIV3Schema: Schema): ValidateFunction {
  const cached = compiled.get(openAPIV3Schema);
  if (cached) return cached;
  const validate = compileFresh(openAPIV3Schema);
  compiled.set(openAPIV3Schema, validate);
  return validate;
}

function compileFresh(openAPIV3Schema: Schema): ValidateFunction {
  const root = strictSchema(openAPIV3Schema);
  // Every object carries apiVersion/kind/metadata whether or not the CRD author declared them.
  root['properties'] = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...(root['properties'] as Schema | undefined) };
  return ajv.compile(root);
}

function ajvErrors(validate: ValidateFunction): FieldError[] {
  return (validate.errors ?? []).map((e) => {
    const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
    const extra = e.keyword === 'additionalProperties' ? `: ${JSON.stringify((e.params as { additionalProperty?: string }).additionalProperty)}` : '';
    return { field, message: `${e.message ?? 'invalid'}${extra}` };
  });
}

/** Checks a CRD the way apiextensions does before serving it: schema, name = plural.group, one storage version, structural schemas. */
export function validateCrd(crd: KubeObject): FieldError[] {
  const kind = findBuiltinKind('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
  const errors = kind ? validateBuiltin(kind, crd) : [];
  if (errors.length > 0) return errors;
  const { spec, metadata } = crd as CrdObject;
  if (metadata?.name !== `${spec.names.plural}.${spec.group}`) errors.push({ field: 'metadata.name', message: `must be spec.names.plural+"."+spec.group` });
  if (spec.versions.filter((v) => v.storage).length !== 1) errors.push({ field: 'spec.versions', message: 'must have exactly one version marked as storage version' });
  spec.versions.forEach((v, i) => {
    const schema = v.schema?.openAPIV3Schema;
    if (!schema) errors.push({ field: `spec.versions[${i}].schema.openAPIV3Schema`, message: 'Required value: schemas are required' });
    else if (schema['type'] !== 'object') errors.push({ field: `spec.versions[${i}].schema.openAPIV3Schema.type`, message: 'Unsupported value: must be object at the root' });
    else {
      try {
        compileVersionSchema(schema);
      } catch (err) {
        errors.push({ field: `spec.versions[${i}].schema.openAPIV3Schema`, message: err instanceof Error ? err.message : String(err) });
      }
    }
  });
  return errors;
}

/** The resource types a CRD defines, one per served version, each validating with that version's openAPIV3Schema. */
export function resourceTypesFromCrd(crd: CrdObject): ResourceType[] {
  const { spec } = crd;
  return spec.versions
    .filter((v) => v.served)
    .map((v) => {
      const validateSchema = compileVersionSchema(v.schema?.openAPIV3Schema ?? { type: 'object' });
      return {
        group: spec.group,
        version: v.name,
        kind: spec.names.kind,
        plural: spec.names.plural,
        namespaced: spec.scope === 'Namespaced',
        statusSubresource: v.subresources?.status !== undefined,
        crdUid: crd.metadata?.uid,
        // Defaults are applied by ajv (`useDefaults`) during validation, as the server defaults before validating.
        validate: (obj: KubeObject) => [...validateMetadata(obj), ...(validateSchema(obj) ? [] : ajvErrors(validateSchema))],
      };
    });
}

/** Reads every CustomResourceDefinition from the YAML files in a folder (e.g. `k8s/crds`). */
export function loadCrdFiles(dir: string): CrdObject[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as KubeObject))
    .filter((o): o is CrdObject => o?.kind === 'CustomResourceDefinition');
}

/**
 * Validates any object the server knows how to validate: a built-in kind, or a custom resource of one of `crds`.
 * An empty list means valid.
 */
export async function validateKubernetesObject(obj: KubeObject, crds: CrdObject[] = []): Promise<FieldError[]> {
  await loadBuiltinModels();
  const builtin = findBuiltinKind(obj.apiVersion, obj.kind);
  if (builtin) return builtin.kind === 'CustomResourceDefinition' ? validateCrd(obj) : validateBuiltin(builtin, obj);
  for (const crd of crds) {
    for (const type of resourceTypesFromCrd(crd)) {
      if (`${type.group}/${type.version}` === obj.apiVersion && type.kind === obj.kind) return type.validate(structuredClone(obj));
    }
  }
  return [{ field: 'kind', message: `no schema known for ${String(obj.apiVersion)} ${String(obj.kind)}` }];
}
