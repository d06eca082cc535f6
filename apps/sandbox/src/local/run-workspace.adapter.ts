import { constants, chmodSync, chownSync, closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmdirSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { chmod, chown, mkdir, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { MAX_WORKSPACE_FILES, workspacePathSegments } from '@lemur/sandbox-policy';

/** A file placed in the workspace before the program starts. */
export interface WorkspaceFile {
  /** Path relative to /workspace. */
  path: string;
  content: string | Uint8Array;
}

/** Owner of the per-run workspace: the sandbox user when the service drops privileges. */
export interface WorkspaceOwner {
  uid: number;
  gid: number;
}

const TMPFS_MAGIC = 0x01021994;

/**
 * Picks the directory that holds per-run workspaces. A tmpfs is preferred: pages the program writes there are
 * charged to its memory cgroup, so the memory limit also bounds how much it can store.
 */
export function defaultWorkspaceRoot(): string {
  try {
    if (existsSync('/dev/shm') && statfsSync('/dev/shm').type === TMPFS_MAGIC) return '/dev/shm';
  } catch {
    // fall through to the OS temp dir
  }
  return tmpdir();
}

function planFiles(files: readonly WorkspaceFile[]): { segments: string[]; content: string | Uint8Array }[] {
  if (files.length > MAX_WORKSPACE_FILES) throw PlatformError.invalid('files', `at most ${MAX_WORKSPACE_FILES} files per request`);
  return files.map((f) => ({ segments: workspacePathSegments(f.path), content: f.content }));
}

/** Creates and removes the fresh per-run workspace directories under one private parent. */
export class RunWorkspaces {
  private readonly base: string;

  constructor(
    root: string,
    /** Owner given to the workspace and everything the service writes into it. */
    readonly owner: WorkspaceOwner | null,
  ) {
    const uid = process.getuid?.() ?? 0;
    this.base = join(root, `lemur-sandbox-${uid}`);
    if (!existsSync(this.base)) mkdirSync(this.base, { mode: 0o711 });
    const st = lstatSync(this.base);
    // The root may be world-writable (/dev/shm, /tmp): refuse a parent someone else planted.
    if (!st.isDirectory() || st.uid !== uid) {
      throw new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, `${this.base} is not a directory owned by uid ${uid}; remove it`);
    }
    // Only traversal for others: the sandbox user reaches its own run dir but cannot list the others.
    chmodSync(this.base, 0o711);
  }

  /** Makes a fresh workspace owned by the sandbox user and writes the request's files into it. */
  async create(files: readonly WorkspaceFile[] = []): Promise<string> {
    const planned = planFiles(files);
    // Directory operations on a fresh directory of a tmpfs take microseconds: synchronous calls cost less CPU than
    // thread-pool round trips, once per run.
    const dir = mkdtempSync(join(this.base, `run-${process.pid}-`));
    try {
      chmodSync(dir, 0o700);
      for (const f of planned) await this.writeFile(dir, f.segments, f.content);
      if (this.owner) chownSync(dir, this.owner.uid, this.owner.gid);
      return dir;
    } catch (err) {
      await this.remove(dir);
      throw err;
    }
  }

  /**
   * Writes a request's files into a workspace made by `create()` that nothing has run in yet (a pre-started
   * sandbox's): it is empty and holds no link, so the plain, exclusive writes of `create()` are safe here too.
   */
  async populate(dir: string, files: readonly WorkspaceFile[]): Promise<void> {
    for (const f of planFiles(files)) await this.writeFile(dir, f.segments, f.content);
  }

  /**
   * A directory for a pre-started sandbox's program, bound read-only at /sandbox: owned by the service and only
   * readable by the sandbox user, so the program cannot change it even from outside its mount namespace.
   */
  async createEntry(): Promise<string> {
    const dir = mkdtempSync(join(this.base, `entry-${process.pid}-`));
    try {
      chmodSync(dir, 0o755);
      return dir;
    } catch (err) {
      await this.remove(dir);
      throw err;
    }
  }

  /** Puts the program (or the warm runner's bytecode) into an entry directory (a new file, never through a link). */
  async placeProgram(entryDir: string, name: string, code: string | Buffer): Promise<void> {
    // Into a directory only this service can write to, on a tmpfs: a synchronous write is cheaper than three hops.
    const fd = openSync(join(entryDir, name), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      if (typeof code === 'string') writeFileSync(fd, code, 'utf8');
      else writeFileSync(fd, code);
    } finally {
      closeSync(fd);
    }
  }

  /** Deletes one file that placeProgram put into an entry directory. */
  async removeFromEntry(entryDir: string, name: string): Promise<void> {
    unlinkSync(join(entryDir, name));
  }

  /** Deletes an entry directory: it holds only what placeProgram put there, as nothing else can write to it. */
  async removeEntry(dir: string): Promise<void> {
    try {
      for (const name of readdirSync(dir)) unlinkSync(join(dir, name));
      rmdirSync(dir);
    } catch {
      await this.remove(dir);
    }
  }

  /**
   * Deletes the workspaces and entry directories of services that are gone (killed, crashed): each is named after
   * the pid of the service that made it, and services of one uid share the parent. Returns how many were removed.
   */
  async sweepStale(): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.base).catch(() => [] as string[])) {
      const m = /^(?:run|entry)-(\d+)-/.exec(name);
      if (!m || Number(m[1]) === process.pid || existsSync(`/proc/${m[1]}`)) continue;
      await this.remove(join(this.base, name));
      removed += 1;
    }
    return removed;
  }

  /** Deletes a workspace; symlinks the program left are unlinked, never followed. */
  async remove(dir: string): Promise<void> {
    try {
      // Most runs leave their workspace empty: one synchronous rmdir then does it all.
      rmdirSync(dir);
      return;
    } catch {
      // not empty, or already gone: the full removal below
    }
    try {
      await rm(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // A non-root service cannot descend into directories the program chmod'ed to 000: give them back first.
      await this.restorePermissions(dir);
      await rm(dir, { recursive: true, force: true, maxRetries: 2 });
    }
  }

  private async writeFile(dir: string, segments: string[], content: string | Uint8Array): Promise<void> {
    let current = dir;
    for (const seg of segments.slice(0, -1)) {
      current = join(current, seg);
      await mkdir(current, { recursive: true, mode: 0o755 });
      if (this.owner) await chown(current, this.owner.uid, this.owner.gid);
    }
    const file = join(current, segments[segments.length - 1] ?? '');
    // O_EXCL|O_NOFOLLOW: a duplicate path in the request must not overwrite or follow anything.
    const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    try {
      await handle.writeFile(content);
      if (this.owner) await handle.chown(this.owner.uid, this.owner.gid);
    } finally {
      await handle.close();
    }
  }

  private async restorePermissions(dir: string): Promise<void> {
    await chmod(dir, 0o700).catch(() => undefined);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) if (e.isDirectory()) await this.restorePermissions(join(dir, e.name));
  }
}
