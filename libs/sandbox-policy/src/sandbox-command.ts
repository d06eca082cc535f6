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
  /**
   * Absolute paths (validated by parseScratchDirs) that get an empty tmpfs of their own, sized like /tmp, writable by
   * the program and gone with the sandbox. In a pod they are the pod's own emptyDirs (renderSandboxPod).
   */
  scratchDirs?: readonly string[];
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
   * Descriptors of the start hand-off (bwrap chains): bwrap writes its sandbox's first process to `info` and holds it
   * on `block` until the launcher has moved it into the cgroups and set its rlimits (see ChainSetup).
   */
  setupFds: { info: number; block: number };
  /**
   * A pre-started (warm) sandbox: SANDBOX_ENTRY_DIR is this host directory bound read-only, where the service puts the
   * program later, and the interpreter waits for the start message on `controlFd` (see warmRunnerArgv).
   */
  warm?: { entryDir: string; controlFd: number; compiledRunner?: boolean };
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

/** A resource limit, as setrlimit(2) takes it (soft and hard in the resource's unit: bytes, seconds, count). */
export interface ChainRlimit {
  resource: 'as' | 'cpu' | 'fsize' | 'nofile' | 'core' | 'nproc';
  soft: number;
  hard: number;
}

/**
 * What the launcher does to a bwrap chain's sandbox before any of its code runs. bwrap sets the sandbox up, writes the
 * host pid of the sandbox's first process (its PID 1) to `infoFd`, and waits on `blockFd` before it installs the
 * seccomp filter and starts the interpreter. Meanwhile the launcher writes that pid into each cgroup.procs file and
 * sets every rlimit on it (prlimit), then releases it. Every process of the program descends from it, so each starts
 * inside the cgroups and under the limits; only bwrap's own setup (trusted code) runs outside them.
 */
export interface ChainSetup {
  infoFd: number;
  blockFd: number;
  cgroupProcsFiles: readonly string[];
  rlimits: readonly ChainRlimit[];
}

/** The argv of the chain: spawn `file` with `args` and an empty environment, then apply `setup` when given. */
export interface SandboxCommand {
  file: string;
  args: string[];
  setup?: ChainSetup;
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

/** The rlimits of every sandboxed process. */
export function chainRlimits(spec: SandboxCommandSpec): ChainRlimit[] {
  const { limits } = spec;
  const cpu = cpuSeconds(limits);
  const fixed = (resource: ChainRlimit['resource'], value: number): ChainRlimit => ({ resource, soft: value, hard: value });
  return [
    fixed('as', addressSpaceBytes(limits, spec.memoryCgroup)),
    { resource: 'cpu', soft: cpu.soft, hard: cpu.hard },
    fixed('fsize', limits.fileSizeBytes),
    fixed('nofile', SANDBOX_NOFILE),
    fixed('core', 0),
    // RLIMIT_NPROC counts every process of the uid, so it is only a coarse fallback for a dedicated user.
    // In a pod every process shares the runner's uid, so the same coarse bound applies there.
    ...(!spec.pidsCgroup && (spec.runAsUser !== null || spec.isolation === 'pod') ? [fixed('nproc', limits.processes * 16)] : []),
  ];
}

// dash's ulimit flags and units (KiB for the address space, 512-byte blocks for file size).
const ULIMIT: Record<ChainRlimit['resource'], { flag: string; unit: number }> = {
  as: { flag: '-v', unit: 1024 },
  cpu: { flag: '-t', unit: 1 },
  fsize: { flag: '-f', unit: 512 },
  nofile: { flag: '-n', unit: 1 },
  core: { flag: '-c', unit: 1 },
  nproc: { flag: '-p', unit: 1 },
};

/**
 * The shell prologue of the in-pod chain (no bwrap there to hold the program while the launcher sets things up): join
 * each cgroup (paths arrive as arguments, never interpolated), set the same rlimits as chainRlimits with the shell's
 * own ulimit, then exec the rest of the argv.
 */
export function wrapperScript(spec: SandboxCommandSpec): string {
  const ulimits = chainRlimits(spec).flatMap(({ resource, soft, hard }) => {
    const { flag, unit } = ULIMIT[resource];
    // Without -H/-S dash sets both limits; a lower soft limit is then set on its own.
    return [`ulimit ${flag} ${Math.ceil(hard / unit)}`, ...(soft !== hard ? [`ulimit -S ${flag} ${Math.ceil(soft / unit)}`] : [])];
  });
  return [
    'while [ "$1" != -- ]; do echo $$ >"$1" || { echo "lemur-sandbox: cannot join cgroup $1" >&2; exit 125; }; shift; done; shift',
    `${ulimits.join(' && ')} || { echo "lemur-sandbox: cannot set limits" >&2; exit 125; }`,
    // The shell exports the service's working directory as PWD; a process of the program would inherit it.
    'unset PWD OLDPWD',
    'exec "$@"',
  ].join('\n');
}

/**
 * The exact argv of the hardened chain (shared/research/sandbox.md §5.1): setpriv (root, when privilegeDrop is
 * 'setpriv') → bwrap → interpreter, with the ChainSetup the launcher applies while bwrap holds the sandbox: the
 * program's first instruction runs inside its cgroups and under its rlimits, so nothing it forks escapes them.
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
    ...(spec.scratchDirs ?? []).flatMap((dir) => ['--size', String(limits.tmpBytes), '--tmpfs', dir]),
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
    '--info-fd',
    String(spec.setupFds.info),
    '--block-fd',
    String(spec.setupFds.block),
    '--',
    ...(spec.warm ? warmRunnerArgv(spec.language, spec.warm.controlFd, sandboxEntryPath(spec.language), spec.warm.compiledRunner === true) : interpreterArgv(spec.language)),
  ];

  const setpriv =
    spec.runAsUser !== null && spec.privilegeDrop === 'setpriv'
      ? [bin.setpriv, `--reuid=${spec.runAsUser}`, `--regid=${spec.runAsUser}`, '--clear-groups', '--no-new-privs']
      : [];

  const [file, ...args] = [...setpriv, ...bwrap] as [string, ...string[]];
  return {
    file,
    args,
    setup: { infoFd: spec.setupFds.info, blockFd: spec.setupFds.block, cgroupProcsFiles: spec.cgroupProcsFiles, rlimits: chainRlimits(spec) },
  };
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
