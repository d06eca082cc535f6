/** Applies an RFC 7386 JSON merge patch (null deletes a key; arrays and scalars replace). */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const base: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete base[key];
    else base[key] = applyMergePatch(base[key], value);
  }
  return base;
}

export class JsonPatchError extends Error {
}

interface Operation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`invalid JSON pointer ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

type Container = Record<string, unknown> | unknown[];

function resolveParent(doc: unknown, tokens: string[], pointer: string): { parent: Container; key: string } {
  let node = doc;
  for (const token of tokens.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(token)] : (node as Record<string, unknown> | undefined)?.[token];
    if (!node || typeof node !== 'object') throw new JsonPatchError(`path ${JSON.stringify(pointer)} does not exist`);
  }
  return { parent: node as Container, key: tokens[tokens.length - 1] ?? '' };
}

function read(doc: unknown, pointer: string): unknown {
  let node = doc;
  for (const token of parsePointer(pointer)) {
    if (!node || typeof node !== 'object') throw new JsonPatchError(`path ${JSON.stringify(pointer)} does not exist`);
    node = Array.isArray(node) ? node[Number(token)] : (node as Record<string, unknown>)[token];
  }
  if (node === undefined) throw new JsonPatchError(`path ${JSON.stringify(pointer)} does not exist`);
  return node;
}

function arrayIndex(parent: unknown[], key: string, forAdd: boolean): number {
  if (forAdd && key === '-') return parent.length;
  const index = Number(key);
  if (!/^\d+$/.test(key) || index > parent.length || (!forAdd && index === parent.length)) throw new JsonPatchError(`array index ${key} out of range`);
  return index;
}

function add(doc: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return structuredClone(value);
  const { parent, key } = resolveParent(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true), 0, structuredClone(value));
  else parent[key] = structuredClone(value);
  return doc;
}

function remove(doc: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  const { parent, key } = resolveParent(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, false), 1);
  else {
    if (!(key in parent)) throw new JsonPatchError(`path ${JSON.stringify(pointer)} does not exist`);
    delete parent[key];
  }
  return doc;
}

/** Applies an RFC 6902 JSON patch to a copy of `target`. */
export function applyJsonPatch(target: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new JsonPatchError('a JSON patch must be an array of operations');
  let doc = structuredClone(target);
  for (const op of operations as Operation[]) {
    switch (op.op) {
      case 'add':
        doc = add(doc, op.path, op.value);
        break;
      case 'remove':
        doc = remove(doc, op.path);
        break;
      case 'replace':
        read(doc, op.path);
        doc = add(remove(doc, op.path), op.path, op.value);
        break;
      case 'move': {
        const value = read(doc, op.from ?? '');
        doc = add(remove(doc, op.from ?? ''), op.path, value);
        break;
      }
      case 'copy':
        doc = add(doc, op.path, read(doc, op.from ?? ''));
        break;
      case 'test':
        if (JSON.stringify(read(doc, op.path)) !== JSON.stringify(op.value)) throw new JsonPatchError(`test operation failed at ${op.path}`);
        break;
      default:
        throw new JsonPatchError(`unknown JSON patch operation ${JSON.stringify((op as { op: unknown }).op)}`);
    }
  }
  return doc;
}
