import { PlatformError } from '@lemur/shared-errors';

/** Most files one request may place in the workspace. */
export const MAX_WORKSPACE_FILES = 256;

/**
 * Normalises a file path given by a request into path segments relative to the workspace.
 * Rejects absolute paths, `..`, empty or over-long names, and NUL bytes, so no write can leave the workspace.
 */
export function workspacePathSegments(path: string, field = 'files.path'): string[] {
  if (typeof path !== 'string' || path.length === 0) throw PlatformError.invalid(field, 'must be a non-empty string');
  if (path.length > 1024) throw PlatformError.invalid(field, `longer than 1024 characters: ${path.slice(0, 40)}...`);
  if (path.includes('\0')) throw PlatformError.invalid(field, 'contains a NUL byte');
  if (path.startsWith('/')) throw PlatformError.invalid(field, `must be relative to the workspace, got ${path}`);
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) throw PlatformError.invalid(field, `names no file: ${path}`);
  for (const s of segments) {
    if (s === '..') throw PlatformError.invalid(field, `must stay inside the workspace, got ${path}`);
    if (Buffer.byteLength(s) > 255) throw PlatformError.invalid(field, `a path segment is longer than 255 bytes: ${path}`);
  }
  return segments;
}
