/** Most scratch directories a sandbox may mount. */
export const MAX_SCRATCH_DIRS = 8;

/**
 * Paths a scratch directory may be neither, nor lie under, nor contain: the system trees bound from the host (a tmpfs
 * there would hide the interpreter and its libraries), the kernel's file systems, and the directories the sandbox
 * already mounts itself (workspace, program, /tmp).
 */
export const RESERVED_SANDBOX_PATHS: readonly string[] = Object.freeze([
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/root',
  '/run',
  '/sandbox',
  '/sbin',
  '/sys',
  '/tmp',
  '/usr',
  '/var',
  '/workspace',
]);

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function within(path: string, dir: string): boolean {
  return path === dir || path.startsWith(`${dir}/`);
}

/**
 * Parses SANDBOX_SCRATCH_DIRS ("/testbed,/system,/backup"): absolute paths at which every sandbox gets an empty, sized,
 * writable tmpfs of its own (benchmarks whose tasks were written for files outside the workspace, e.g. InterCode-Bash).
 * Each path must be absolute and already normalised (no "." or ".." segment, no doubled or trailing slash), made of
 * plain names, and clear of the reserved system paths; the list holds no duplicates and no path inside another.
 * Throws an Error saying which entry is wrong and why.
 */
export function parseScratchDirs(text: string | undefined): string[] {
  if (text === undefined || text.trim() === '') return [];
  const dirs = text.split(',').map((d) => d.trim());
  if (dirs.length > MAX_SCRATCH_DIRS) throw new Error(`at most ${MAX_SCRATCH_DIRS} scratch directories, got ${dirs.length}`);
  for (const dir of dirs) {
    if (!dir.startsWith('/')) throw new Error(`scratch directory "${dir}" must be an absolute path`);
    if (dir === '/') throw new Error('the root directory cannot be a scratch directory');
    const segments = dir.slice(1).split('/');
    for (const s of segments) {
      if (s === '..' || s === '.') throw new Error(`scratch directory "${dir}" must be normalised (no "." or ".." segments)`);
      if (!SEGMENT.test(s)) throw new Error(`scratch directory "${dir}" has a segment that is empty or not a plain name ([A-Za-z0-9._-], at most 64): "${s}"`);
    }
    const reserved = RESERVED_SANDBOX_PATHS.find((r) => within(dir, r) || within(r, dir));
    if (reserved !== undefined) throw new Error(`scratch directory "${dir}" would cover or sit inside ${reserved}, which the sandbox reserves`);
  }
  for (const dir of dirs) {
    const other = dirs.find((o) => o !== dir && (within(dir, o) || within(o, dir)));
    if (other !== undefined) throw new Error(`scratch directory "${dir}" overlaps "${other}"`);
    if (dirs.indexOf(dir) !== dirs.lastIndexOf(dir)) throw new Error(`scratch directory "${dir}" is listed twice`);
  }
  return dirs;
}
