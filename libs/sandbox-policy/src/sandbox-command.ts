import { type SandboxLimits } from './sandbox-limits';
import { warmRunnerArgv } from './warm-runner';

/** Languages the sandbox can run. */
export type SandboxLanguage = 'python' | 'bash';

/** Languages the sandbox can run, for validation. */
export const SANDBOX_LANGUAGES: readonly SandboxLanguage[] = Object.freeze(['python', 'bash']);

/** Host binaries of the chain; absolute paths so the empty environment needs no PATH. */
export interface SandboxBinaries {
  sh: string;
  setpriv: string;
  bwrap: string;
}

/** Debian 12 locations of the chain's binaries. */
export const DEFAULT_SANDBOX_BINARIES: Readonly<SandboxBinaries> = Object.freeze({
  sh: '/bin/sh',
  setpriv: '/usr/bin/setpriv',
  bwrap: '/usr/bin/bwrap',
});

/** Everything the chain depends on for one run; the backend fills it from the host's capabilities. */
export interface SandboxCommandSpec {
  language: SandboxLanguage;
  limits: SandboxLimits;
  /** Host directory bound read-write at /workspace. */
  workspaceDir: string;
  /** Dedicated user a root-run service drops to; null runs bwrap under the caller's uid. */
  runAsUser: string | null;
  /**
   * How to drop to runAsUser: 'setpriv' in the chain (needed when joining the cgroup takes root, as in v2), or
   * 'spawn' when the caller spawns the chain with that uid/gid itself (one exec fewer).
   */
  privilegeDrop: 'setpriv' | 'spawn';
  /** Descriptor that carries the seccomp BPF into bwrap, or null for no filter. */
  seccompFd: number | null;
  /** Descriptor from which bwrap copies the program source to SANDBOX_ENTRY_DIR (unused when `warm` is set). */
  codeFd: number;
  /**
   * A pre-started (warm) sandbox: SANDBOX_ENTRY_DIR is this host directory bound read-only, where the service puts the
   * program later, and the interpreter waits for the start message on `controlFd` (see warmRunnerArgv).
   */
  warm?: { entryDir: string; controlFd: number };
  /** cgroup.procs files the wrapper joins before exec'ing the chain; empty means no cgroup. */
  cgroupProcsFiles: readonly string[];
  /** Whether a memory cgroup bounds the run (then RLIMIT_AS is only a per-process guard). */
  memoryCgroup: boolean;
  /** Whether a pids cgroup bounds the run; without one, RLIMIT_NPROC is the (per-uid) fallback. */
  pidsCgroup: boolean;
  binaries?: SandboxBinaries;
  /**
   * 'bwrap' (default): the full chain. 'pod': inside a sandbox pod, where the pod is the isolation boundary (runtime
   * class, non-root, read-only root, no network): no bwrap, but the same wrapper, rlimits, empty environment and
   * workspace, with the program read from `codeFd`.
   */
  isolation?: 'bwrap' | 'pod';
}

/** The argv of the chain: spawn `file` with `args` and an empty environment. */
export interface SandboxCommand {
  file: string;
  args: string[];
}

/** Directory inside the sandbox holding the program source (read-only). */
export const SANDBOX_ENTRY_DIR = '/sandbox';
/** Open files per process inside the sandbox. */
export const SANDBOX_NOFILE = 256;

const PATH_INSIDE = '/usr/local/bin:/usr/bin:/bin';
const MiB = 1024 * 1024;

/** Path of the program source inside the sandbox. */
export function sandboxEntryPath(language: SandboxLanguage): string {
  return `${SANDBOX_ENTRY_DIR}/main.${language === 'python' ? 'py' : 'sh'}`;
}

/** The interpreter argv inside the sandbox. */
export function interpreterArgv(language: SandboxLanguage): string[] {
  switch (language) {
    case 'python':
      return ['/usr/bin/python3', '-I', sandboxEntryPath(language)];
    case 'bash':
      return ['/usr/bin/bash', '--noprofile', '--norc', sandboxEntryPath(language)];
  }
}

/**
 * RLIMIT_AS for each process. With a memory cgroup it only stops single huge allocations early (as a MemoryError)
 * and leaves room for thread stacks and malloc arenas; without one it is the only memory bound there is.
 */
export function addressSpaceBytes(limits: SandboxLimits, memoryCgroup: boolean): number {
  return memoryCgroup ? 2 * limits.memoryBytes + 256 * MiB : limits.memoryBytes;
}

/** RLIMIT_CPU soft and hard seconds: SIGXCPU at the limit (reported as cpu_time), SIGKILL one second later. */
export function cpuSeconds(limits: SandboxLimits): { soft: number; hard: number } {
  const soft = Math.max(1, Math.ceil(limits.cpuMs / 1000));
  return { soft, hard: soft + 1 };
}

/**
 * The shell prologue run before the chain: join each cgroup (paths arrive as arguments, never interpolated), then set
 * the rlimits with the shell's own ulimit (cheaper than an extra prlimit exec), then exec the rest of the argv.
 */
export function wrapperScript(spec: SandboxCommandSpec): string {
  const { limits } = spec;
  const cpu = cpuSeconds(limits);
  const ulimits = [
    `ulimit -v ${Math.ceil(addressSpaceBytes(limits, spec.memoryCgroup) / 1024)}`,
    `ulimit -t ${cpu.hard}`,
    `ulimit -S -t ${cpu.soft}`,
    // dash counts file size in 512-byte blocks
    `ulimit -f ${Math.ceil(limits.fileSizeBytes / 512)}`,
    `ulimit -n ${SANDBOX_NOFILE}`,
    'ulimit -c 0',
    // RLIMIT_NPROC counts every process of the uid, so it is only a coarse fallback for a dedicated user.
    // In a pod every process shares the runner's uid, so the same coarse bound applies there.
    ...(!spec.pidsCgroup && (spec.runAsUser !== null || spec.isolation === 'pod') ? [`ulimit -p ${limits.processes * 16}`] : []),
  ];
  return [
    'while [ "$1" != -- ]; do echo $$ >"$1" || { echo "lemur-sandbox: cannot join cgroup $1" >&2; exit 125; }; shift; done; shift',
    `${ulimits.join(' && ')} || { echo "lemur-sandbox: cannot set limits" >&2; exit 125; }`,
    // The shell exports the service's working directory as PWD; bwrap's PID 1 would keep it in /proc/1/environ.
    'unset PWD OLDPWD',
    'exec "$@"',
  ].join('\n');
}

/**
 * The exact argv of the hardened chain (shared/research/sandbox.md §5.1):
 * sh (join the cgroups, set rlimits) → setpriv (root, when privilegeDrop is 'setpriv') → bwrap → interpreter.
 * The child is in its cgroup from its first instruction, so nothing it forks escapes the limits.
 */
export function buildSandboxCommand(spec: SandboxCommandSpec): SandboxCommand {
  const bin = spec.binaries ?? DEFAULT_SANDBOX_BINARIES;
  const { limits } = spec;
  if (spec.isolation === 'pod' && spec.warm) throw new Error('pre-started sandboxes need the bwrap chain');
  if (spec.isolation === 'pod') return { file: bin.sh, args: ['-c', wrapperScript(spec), 'sh', ...spec.cgroupProcsFiles, '--', ...podChain(spec)] };

  const bwrap = [
    bin.bwrap,
    '--unshare-all',
    '--unshare-user',
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--hostname',
    'sandbox',
    '--clearenv',
    '--setenv',
    'PATH',
    PATH_INSIDE,
    '--setenv',
    'HOME',
    '/workspace',
    '--setenv',
    'TMPDIR',
    '/tmp',
    '--setenv',
    'LANG',
    'C.UTF-8',
    '--ro-bind',
    '/usr',
    '/usr',
    '--symlink',
    'usr/bin',
    '/bin',
    '--symlink',
    'usr/sbin',
    '/sbin',
    '--symlink',
    'usr/lib',
    '/lib',
    '--symlink',
    'usr/lib64',
    '/lib64',
    // Of /etc only what Debian's Python packages resolve through: the alternatives symlinks (numpy's libblas.so.3)
    // and matplotlib's rc file and font configuration. No other host file.
    ...['/etc/alternatives', '/etc/matplotlibrc', '/etc/fonts'].flatMap((path) => ['--ro-bind-try', path, path]),
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    // --size applies to the next --tmpfs only, so it must precede it.
    '--size',
    String(limits.tmpBytes),
    '--tmpfs',
    '/tmp',
    '--size',
    String(limits.tmpBytes),
    '--tmpfs',
    '/dev/shm',
    '--bind',
    spec.workspaceDir,
    '/workspace',
    ...(spec.warm ? ['--ro-bind', spec.warm.entryDir, SANDBOX_ENTRY_DIR] : ['--ro-bind-data', String(spec.codeFd), sandboxEntryPath(spec.language)]),
    '--chdir',
    '/workspace',
    // Without this the tmpfs root stays writable and invented paths (/etc/passwd, /x) can be created.
    '--remount-ro',
    '/',
    ...(spec.seccompFd !== null ? ['--seccomp', String(spec.seccompFd)] : []),
    '--',
    ...(spec.warm ? warmRunnerArgv(spec.language, spec.warm.controlFd, sandboxEntryPath(spec.language)) : interpreterArgv(spec.language)),
  ];

  const setpriv =
    spec.runAsUser !== null && spec.privilegeDrop === 'setpriv'
      ? [bin.setpriv, `--reuid=${spec.runAsUser}`, `--regid=${spec.runAsUser}`, '--clear-groups', '--no-new-privs']
      : [];

  return { file: bin.sh, args: ['-c', wrapperScript(spec), 'sh', ...spec.cgroupProcsFiles, '--', ...setpriv, ...bwrap] };
}

/** Descriptor the in-pod chain reads the program from (free there: no seccomp filter travels on it in a pod). */
const POD_PROGRAM_FD = 9;

/**
 * The in-pod tail of the chain. Node's stdio "pipes" are socket pairs, which cannot be re-opened through /dev/fd, so
 * bash stages the program from `codeFd` into a temp file, keeps it open on fd 9 and unlinks it before the program
 * starts (nothing is left behind, whatever the end). `env -i` then leaves exactly the variables bwrap would set,
 * `-C` enters the workspace, and the interpreter reads /dev/fd/9.
 */
function podChain(spec: SandboxCommandSpec): string[] {
  const program = `/dev/fd/${POD_PROGRAM_FD}`;
  const interpreter = spec.language === 'python' ? ['/usr/bin/python3', '-I', program] : ['/usr/bin/bash', '--noprofile', '--norc', program];
  const stage = [
    `f=$(/usr/bin/mktemp) && /usr/bin/cat <&${spec.codeFd} >"$f" && exec ${POD_PROGRAM_FD}<"$f" ${spec.codeFd}<&- && /usr/bin/rm -f "$f" ||`,
    '  { echo "lemur-sandbox: cannot stage the program" >&2; exit 125; }',
    'exec "$@"',
  ].join('\n');
  return [
    '/usr/bin/bash',
    '--noprofile',
    '--norc',
    '-c',
    stage,
    'stage',
    '/usr/bin/env',
    '-i',
    '-C',
    spec.workspaceDir,
    `PATH=${PATH_INSIDE}`,
    `HOME=${spec.workspaceDir}`,
    'TMPDIR=/tmp',
    'LANG=C.UTF-8',
    ...interpreter,
  ];
}
