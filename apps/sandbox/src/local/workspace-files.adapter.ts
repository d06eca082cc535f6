import { constants, lstatSync, opendirSync, type Dir, type Stats } from 'node:fs';
import { lstat, mkdir, open, opendir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_WORKSPACE_FILES, workspacePathSegments } from '@lemur/sandbox-policy';
import { PlatformError } from '@lemur/shared-errors';
import type { WorkspaceFile, WorkspaceOwner } from './run-workspace.adapter';

/** A file read back from a workspace. */
export interface ReadBackFile {
  path: string;
  content: Uint8Array;
}

/** Most bytes of files one response carries back (gRPC messages are capped at 64 MiB). */
export const MAX_READ_BACK_BYTES = 32 * 1024 * 1024;

const WORKSPACE_POLL_MS = 250;
// Entries of a workspace measured synchronously before the walk goes on with the thread pool (see measureWorkspace).
const SYNC_ENTRIES = 64;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

// Paths under /proc/self/fd/N/ resolve relative to the directory open as N: with O_NOFOLLOW on every component this
// is openat() without symlink following, so a symlink the program planted (or swaps in while we walk) never leads the
// service, which may run as root, outside the workspace.
function under(dir: FileHandle, name: string): string {
  return `/proc/self/fd/${dir.fd}/${name}`;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'ENXIO';
}

async function walkDirs(root: string, segments: readonly string[], create: WorkspaceOwner | null | false): Promise<FileHandle> {
  let dir = await open(root, DIR_FLAGS);
  try {
    for (const seg of segments) {
      if (create !== false) {
        try {
          await mkdir(under(dir, seg), { mode: 0o755 });
          if (create !== null) {
            const made = await open(under(dir, seg), DIR_FLAGS);
            await made.chown(create.uid, create.gid).finally(() => made.close());
          }
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
      }
      const next = await open(under(dir, seg), DIR_FLAGS);
      await dir.close();
      dir = next;
    }
    return dir;
  } catch (err) {
    await dir.close();
    throw err;
  }
}

/**
 * Writes files into a live workspace (replacing existing ones); refuses paths that cross a symlink or name a
 * non-regular file. Sizes are checked against the per-file and whole-workspace limits first.
 */
export async function writeWorkspaceFiles(
  root: string,
  files: readonly WorkspaceFile[],
  owner: WorkspaceOwner | null,
  limits: { fileSizeBytes: number; workspaceBytes: number },
): Promise<void> {
  if (files.length > MAX_WORKSPACE_FILES) throw PlatformError.invalid('files', `at most ${MAX_WORKSPACE_FILES} files per request`);
  let total = 0;
  const planned = files.map((f) => {
    const size = typeof f.content === 'string' ? Buffer.byteLength(f.content) : f.content.byteLength;
    if (size > limits.fileSizeBytes) throw PlatformError.invalid('files', `${f.path} is ${size} bytes, above file_size_bytes ${limits.fileSizeBytes}`);
    total += size;
    return { segments: workspacePathSegments(f.path), content: f.content, path: f.path };
  });
  if (total > limits.workspaceBytes) throw PlatformError.invalid('files', `${total} bytes in all, above workspace_bytes ${limits.workspaceBytes}`);
  for (const f of planned) {
    let dir: FileHandle;
    try {
      dir = await walkDirs(root, f.segments.slice(0, -1), owner);
    } catch (err) {
      throw PlatformError.invalid('files.path', `${f.path}: cannot create its directory inside the workspace (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      let handle: FileHandle;
      try {
        handle = await open(
          under(dir, f.segments[f.segments.length - 1] ?? ''),
          constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
          0o644,
        );
      } catch (err) {
        throw PlatformError.invalid('files.path', `${f.path}: not writable as a regular file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      try {
        if (!(await handle.stat()).isFile()) throw PlatformError.invalid('files.path', `${f.path} exists and is not a regular file`);
        await handle.truncate(0);
        await handle.writeFile(f.content);
        if (owner) await handle.chown(owner.uid, owner.gid);
      } finally {
        await handle.close();
      }
    } finally {
      await dir.close();
    }
  }
}

/**
 * Reads named files back from a workspace: regular files only, never through a symlink; absent or unreadable
 * paths are left out, and so is any file that would take the response past `maxTotalBytes`.
 */
export async function readWorkspaceFiles(
  root: string,
  paths: readonly string[],
  field = 'read_files',
  maxTotalBytes = MAX_READ_BACK_BYTES,
): Promise<ReadBackFile[]> {
  if (paths.length > MAX_WORKSPACE_FILES) throw PlatformError.invalid(field, `at most ${MAX_WORKSPACE_FILES} paths per request`);
  const planned = paths.map((p) => ({ path: p, segments: workspacePathSegments(p, field) }));
  const out: ReadBackFile[] = [];
  let budget = maxTotalBytes;
  for (const p of planned) {
    let dir: FileHandle;
    try {
      dir = await walkDirs(root, p.segments.slice(0, -1), false);
    } catch (err) {
      if (isMissing(err)) continue;
      throw err;
    }
    try {
      const handle = await open(under(dir, p.segments[p.segments.length - 1] ?? ''), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
        (err: unknown) => {
          if (isMissing(err) || (err as NodeJS.ErrnoException).code === 'EACCES') return null;
          throw err;
        },
      );
      if (handle === null) continue;
      try {
        const st = await handle.stat();
        if (!st.isFile() || st.size > budget) continue;
        const content = await handle.readFile();
        if (content.length > budget) continue;
        budget -= content.length;
        out.push({ path: p.path, content });
      } finally {
        await handle.close();
      }
    } finally {
      await dir.close();
    }
  }
  return out;
}

/** Space a workspace takes and its largest file, counted without following symlinks (stops counting at `stopAt`). */
export async function measureWorkspace(root: string, stopAt = Number.MAX_SAFE_INTEGER): Promise<{ bytes: number; largestFile: number }> {
  let bytes = 0;
  let largestFile = 0;
  let entries = 0;
  // A workspace is measured after every cell and run, and most hold a handful of files: the first SYNC_ENTRIES are read
  // on the event loop (microseconds each on the tmpfs) rather than with a thread-pool round trip per entry, whose
  // wake-ups cost far more on a busy machine. The rest of the walk goes on asynchronously, so a crowded workspace
  // cannot stall the service.
  const inBudget = () => entries < SYNC_ENTRIES;
  const stack = [root];
  while (stack.length > 0 && bytes <= stopAt) {
    const path = stack.pop() ?? root;
    let dir: Dir;
    try {
      dir = inBudget() ? opendirSync(path) : await opendir(path);
    } catch {
      continue;
    }
    try {
      for (;;) {
        const entry = inBudget() ? dir.readSync() : await dir.read();
        if (entry === null) break;
        // Millions of empty files would make this walk the cost; the memory cgroup bounds them anyway.
        if (++entries > 100_000) return { bytes, largestFile };
        const child = join(path, entry.name);
        const st = entries <= SYNC_ENTRIES ? lstatOrNull(child) : await lstat(child).catch(() => null);
        if (st === null) continue;
        bytes += st.blocks * 512;
        if (st.isFile()) largestFile = Math.max(largestFile, st.size);
        else if (st.isDirectory()) stack.push(child);
      }
    } catch {
      // The directory went away while it was read (the program deleted it): what was counted stands.
    } finally {
      dir.closeSync();
    }
  }
  return { bytes, largestFile };
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** Polls the workspace size while a run goes on; the memory cgroup bounds the tmpfs between two polls. */
export function watchWorkspace(dir: string, maxBytes: number, onExceeded: () => void, everyMs = WORKSPACE_POLL_MS): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    void measureWorkspace(dir, maxBytes).then(({ bytes }) => {
      if (stopped) return;
      if (bytes > maxBytes) onExceeded();
      else timer = setTimeout(tick, everyMs);
    });
  };
  timer = setTimeout(tick, everyMs);
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Python reports EFBIG as OSError (it ignores SIGXFSZ); coreutils print the signal's description. */
export function mentionsFileTooLarge(stderr: string): boolean {
  return stderr.includes('[Errno 27] File too large') || stderr.includes('File size limit exceeded');
}
