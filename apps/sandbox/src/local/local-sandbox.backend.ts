import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Duplex, type Writable } from 'node:stream';
import { promisify } from 'node:util';
import {
  DEFAULT_SANDBOX_BINARIES,
  DEFAULT_SANDBOX_POLICY,
  SANDBOX_LANGUAGES,
  buildSandboxCommand,
  interpretExecObservation,
  parseScratchDirs,
  resolveSandboxLimits,
  sandboxEntryPath,
  sessionRunnerSource,
  SPAWN_FIXED_LIMITS,
  WARM_RUNNER_FILE,
  validateSandboxPolicy,
  warmStartMessage,
  workspacePathSegments,
  type ExecResult,
  type SandboxBinaries,
  type SandboxLanguage,
  type SandboxLimitPolicy,
  type SandboxLimits,
} from '@lemur/sandbox-policy';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { createLogger, type Logger } from '@lemur/shared-logging';
import { basename } from 'node:path';
import { WarmPool } from '../warm-pool/warm-pool';
import type { IdleGate } from '../warm-pool/idle-gate';
import type { ExecPoolMetrics } from './exec-pool.metrics';
import { WarmSandbox, type ChainExit } from './warm-sandbox';
import { ChainLauncher, LAUNCHER_PYTHON, type ChainProcess } from './chain-launcher';
import { compileWarmRunners } from './warm-runner-bytecode';
import { detectRunCgroups, type CgroupCounters, type CgroupMode, type RunCgroup, type RunCgroupDriver } from './run-cgroup.adapter';
import type { ExecBackend, SandboxBackendDescription } from '../execute/sandbox-backend';
import type { SessionBackend } from '../session/sandbox-session';
import { LocalSandboxSession } from './local-session';
import { RunWorkspaces, defaultWorkspaceRoot, type WorkspaceFile, type WorkspaceOwner } from './run-workspace.adapter';
import { OutputSink } from './output-sink';
import { measureWorkspace, mentionsFileTooLarge, readWorkspaceFiles, watchWorkspace } from './workspace-files.adapter';

const execFileAsync = promisify(execFile);

/** Where scripts/setup-sandbox.sh writes its state, relative to the repository root. */
export const SANDBOX_STATE_SUBDIR = join('.lemur', 'sandbox');
/** The unprivileged user a root-run service drops to (created by scripts/setup-sandbox.sh). */
export const DEFAULT_SANDBOX_USER = 'lemur-sbx';

const SETUP_HINT = 'run `sudo bash scripts/setup-sandbox.sh` from the repository root';
// Descriptors the chain inherits: bwrap reads the BPF from one and copies the program from the other.
const SECCOMP_FD = 9;
const CODE_FD = 10;
// A pre-started chain's control socket (readiness, start message); below 10, as dash redirects only fds 0-9.
const CONTROL_FD = 8;
// bwrap's start hand-off: it reports its sandbox's pid on one and waits on the other until the launcher has set it up.
const SETUP_FDS = { info: 11, block: 12 };
const KILL_GRACE_MS = 2_000;
const SESSION_START_TIMEOUT_MS = 15_000;
/** A pre-started sandbox that has not said it is ready by then is killed and the start retried. */
const WARM_READY_TIMEOUT_MS = 15_000;

/** Settings of the one-shot warm pool (pre-started sandboxes for `execute`). */
export interface ExecPoolOptions {
  /** Sandboxes kept ready per language; 0 disables the pool. */
  size: number;
  languages?: readonly SandboxLanguage[];
  /** Starts in flight at once per language. */
  parallelStarts?: number;
  metrics: ExecPoolMetrics;
  /** When given, starts use only the run slots it reports idle. */
  gate?: IdleGate;
  /** False passes the warm runners as source, as happens when they cannot be compiled (default true: bytecode). */
  runnerBytecode?: boolean;
}

/** What the chain runs: a program copied in at spawn (cold), or an entry directory it will find the program in (warm). */
type ChainProgram = { code: string } | { entryDir: string; compiledRunner: boolean };

/** How to find and configure the host pieces of the sandbox. */
export interface LocalSandboxOptions {
  /** Directory holding seccomp.bpf; default: the nearest `.lemur/sandbox` above the working directory. */
  stateDir?: string;
  /** Require the seccomp filter (default true); false runs without one when the file is missing. */
  requireSeccomp?: boolean;
  /** User a root-run service drops to. */
  sandboxUser?: string;
  /** Parent of the per-run workspaces; default /dev/shm (tmpfs), else the OS temp dir. */
  workspaceRoot?: string;
  /** Absolute paths (validated by parseScratchDirs) where every bwrap sandbox gets a tmpfs of its own, sized like /tmp. */
  scratchDirs?: readonly string[];
  /** Operator defaults and maxima for limits. */
  policy?: SandboxLimitPolicy;
  /** Force a cgroup mode; default 'auto' (v2, then v1, then none). */
  cgroup?: CgroupMode | 'auto';
  /** Idle per-run cgroups kept for reuse. */
  cgroupPoolSize?: number;
  binaries?: SandboxBinaries;
  logger?: Logger;
  /**
   * 'bwrap' (default): the hardened chain on a host. 'pod': the runner inside a sandbox pod, where the pod is the
   * boundary: no bwrap, seccomp filter or cgroups of its own, but the same wrapper, rlimits, process group, empty
   * environment, workspace and output/time limits. Refuses to run as root.
   */
  isolation?: 'bwrap' | 'pod';
}

/** What this host's sandbox can enforce. */
export interface LocalSandboxCapabilities {
  cgroup: CgroupMode;
  seccomp: boolean;
  /** The user the programs run as after dropping privileges, or null when running under the caller's uid. */
  user: string | null;
  bwrapVersion: string;
}

/** One program to run. */
export interface ExecRequest {
  language: SandboxLanguage;
  code: string;
  /** Bytes on the program's stdin; without it stdin is /dev/null (EOF at once). */
  stdin?: string;
  files?: WorkspaceFile[];
  limits?: Partial<SandboxLimits>;
  /** Workspace-relative paths to read back after the run (absent ones are left out). */
  readFiles?: readonly string[];
  /** Who the run is for; a pod-based backend labels the pod with its hash, the local one ignores it. */
  team?: string;
  /** Aborts when the caller gave up (cancelled, or its deadline passed): the program is stopped at once. */
  signal?: AbortSignal;
}

interface PasswdEntry {
  uid: number;
  gid: number;
}

function lookupUser(name: string): PasswdEntry | null {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
  }
  return null;
}

function findStateDir(): string | null {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    const candidate = join(dir, SANDBOX_STATE_SUBDIR);
    if (existsSync(join(candidate, 'seccomp.bpf'))) return candidate;
    if (dirname(dir) === dir) return null;
  }
}

function unavailable(message: string, cause?: unknown): PlatformError {
  return new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, `${message}; ${SETUP_HINT}`, { cause });
}

/**
 * Runs untrusted Python and bash on this host: empty environment, dropped to the sandbox user → sh (cgroup join, rlimits) →
 * bwrap (all namespaces, read-only root, seccomp) → interpreter, one fresh workspace and cgroup per run.
 */
export class LocalSandboxBackend implements SessionBackend, ExecBackend {
  get name(): string {
    return this.isolation === 'pod' ? 'runner' : 'local';
  }

  private constructor(
    private readonly caps: LocalSandboxCapabilities,
    private readonly policy: SandboxLimitPolicy,
    private readonly seccomp: Buffer | null,
    private readonly cgroups: RunCgroupDriver,
    private readonly workspaces: RunWorkspaces,
    private readonly binaries: SandboxBinaries,
    private readonly logger: Logger,
    /** uid/gid the chain is spawned with (privileges dropped by the spawn itself), or null to use setpriv / stay as is. */
    private readonly spawnAs: WorkspaceOwner | null,
    private readonly isolation: 'bwrap' | 'pod' = 'bwrap',
    private readonly scratchDirs: readonly string[] = [],
  ) {}

  private readonly pendingReleases = new Set<Promise<void>>();
  private launcher: ChainLauncher | null = null;
  private execPool: WarmPool<WarmSandbox> | null = null;
  private execPoolMetrics: ExecPoolMetrics | null = null;
  private runnerBytecode: Promise<ReadonlyMap<SandboxLanguage, Buffer> | null> | null = null;

  /** Checks the host (bwrap, sandbox user, seccomp filter, cgroups) and returns a ready backend, or fails saying what to run. */
  static async detect(opts: LocalSandboxOptions = {}): Promise<LocalSandboxBackend> {
    const logger = (opts.logger ?? createLogger('sandbox')).child({ context: 'LocalSandboxBackend' });
    const binaries = opts.binaries ?? DEFAULT_SANDBOX_BINARIES;
    const policy = validateSandboxPolicy(opts.policy ?? DEFAULT_SANDBOX_POLICY);
    if (opts.isolation === 'pod') return LocalSandboxBackend.inPod(opts, policy, binaries, logger);
    // Checked before any host set-up, so a bad list leaves nothing behind.
    let scratchDirs: string[];
    try {
      scratchDirs = parseScratchDirs((opts.scratchDirs ?? []).join(','));
    } catch (err) {
      throw new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, `invalid scratch directories (SANDBOX_SCRATCH_DIRS): ${(err as Error).message}`);
    }

    let bwrapVersion: string;
    try {
      const { stdout } = await execFileAsync(binaries.bwrap, ['--version'], { env: {} });
      bwrapVersion = stdout.trim().replace(/^bubblewrap\s+/, '');
    } catch (err) {
      throw unavailable(`bubblewrap not found at ${binaries.bwrap}`, err);
    }
    if (!existsSync(LAUNCHER_PYTHON)) throw unavailable(`${LAUNCHER_PYTHON} (runs the sandbox launcher) not found`);

    const isRoot = process.getuid?.() === 0;
    let user: string | null = null;
    let owner: WorkspaceOwner | null = null;
    if (isRoot) {
      // Root-run bwrap keeps uid 0 with every capability inside: never run the sandbox as root.
      user = opts.sandboxUser ?? DEFAULT_SANDBOX_USER;
      owner = lookupUser(user);
      if (owner === null) throw unavailable(`sandbox user ${user} does not exist`);
      if (owner.uid === 0) throw unavailable(`sandbox user ${user} has uid 0`);
      if (!existsSync(binaries.setpriv)) throw unavailable(`${binaries.setpriv} not found`);
    }

    const stateDir = opts.stateDir ?? findStateDir();
    const filterPath = stateDir !== null ? join(stateDir, 'seccomp.bpf') : null;
    let seccomp: Buffer | null = null;
    if (filterPath !== null && existsSync(filterPath)) seccomp = readFileSync(filterPath);
    if (seccomp === null && opts.requireSeccomp !== false) {
      throw unavailable(`seccomp filter ${filterPath ?? `${SANDBOX_STATE_SUBDIR}/seccomp.bpf`} not found`);
    }

    const { driver, reasons } = await detectRunCgroups({ mode: opts.cgroup ?? 'auto', poolSize: opts.cgroupPoolSize ?? 8, procsOwner: owner });
    if (driver.mode === 'none') {
      logger.warn({ reasons }, 'no usable cgroups: memory and process limits are per-process rlimits only');
    }
    const workspaces = new RunWorkspaces(opts.workspaceRoot ?? defaultWorkspaceRoot(), owner);
    // A killed service leaves its pre-started sandboxes' directories (and any run's) behind: clear those of dead pids.
    const swept = await workspaces.sweepStale();
    if (swept > 0) logger.info({ swept }, 'removed workspaces left by services that are gone');
    const caps: LocalSandboxCapabilities = { cgroup: driver.mode, seccomp: seccomp !== null, user, bwrapVersion };
    logger.info({ ...caps }, 'local sandbox ready');
    // v2 migration needs write access at the common ancestor, i.e. root: only there does the chain keep setpriv.
    const spawnAs = owner !== null && driver.mode !== 'v2' ? owner : null;
    return new LocalSandboxBackend(caps, policy, seccomp, driver, workspaces, binaries, logger, spawnAs, 'bwrap', scratchDirs);
  }

  // Same run path, minus what the pod already provides; as root, programs would run as root with nothing around them.
  private static async inPod(opts: LocalSandboxOptions, policy: SandboxLimitPolicy, binaries: SandboxBinaries, logger: Logger): Promise<LocalSandboxBackend> {
    if (process.getuid?.() === 0) {
      throw new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, 'runner mode must not run as root; the sandbox pod template sets runAsNonRoot and runAsUser');
    }
    if (!existsSync(binaries.sh)) throw new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, `${binaries.sh} not found in the runner image`);
    if (!existsSync(LAUNCHER_PYTHON)) throw new PlatformError(PlatformErrorCode.SANDBOX_UNAVAILABLE, `${LAUNCHER_PYTHON} not found in the runner image`);
    const { driver } = await detectRunCgroups({ mode: 'none' });
    const workspaces = new RunWorkspaces(opts.workspaceRoot ?? defaultWorkspaceRoot(), null);
    const caps: LocalSandboxCapabilities = { cgroup: driver.mode, seccomp: false, user: null, bwrapVersion: '' };
    logger.info({ ...caps }, 'in-pod sandbox runner ready');
    return new LocalSandboxBackend(caps, policy, null, driver, workspaces, binaries, logger, null, 'pod');
  }

  /** What this host enforces. */
  capabilities(): LocalSandboxCapabilities {
    return { ...this.caps };
  }

  /** The GetCapabilities answer. */
  describe(): SandboxBackendDescription {
    return {
      backend: this.isolation === 'pod' ? 'runner' : 'local',
      cgroup: this.caps.cgroup,
      seccomp: this.caps.seccomp,
      user: this.caps.user ?? '',
      isolation: this.isolation === 'pod' ? 'pod (runner: rlimits, process group, empty environment)' : `bubblewrap ${this.caps.bwrapVersion}`,
    };
  }

  /** Limits a request would run with, after defaults and validation against the operator maxima. */
  resolveLimits(requested?: Partial<SandboxLimits>): SandboxLimits {
    return resolveSandboxLimits(requested, this.policy);
  }

  /** Runs one program in a fresh sandbox and reports its output and which limit, if any, stopped it. */
  async execute(req: ExecRequest): Promise<ExecResult> {
    if (!SANDBOX_LANGUAGES.includes(req.language)) {
      throw PlatformError.invalid('language', `must be one of ${SANDBOX_LANGUAGES.join(', ')}, got ${String(req.language)}`);
    }
    if (typeof req.code !== 'string') throw PlatformError.invalid('code', 'must be a string');
    const limits = this.resolveLimits(req.limits);
    checkFileSizes(req.files ?? [], limits);
    const readPaths = req.readFiles ?? [];
    // Bad read-back paths are the caller's error: reject them before the program runs.
    for (const p of readPaths) workspacePathSegments(p, 'read_files');
    const requested = performance.now();
    const warm = this.takeWarm(req.language, limits);
    if (warm !== null) {
      const result = await this.runWarm(warm, req, limits, readPaths, requested);
      if (result !== null) return result;
      // The sandbox died while it waited (its runner never acknowledged the start): nothing ran, so run it cold.
      this.execPoolMetrics?.misses.inc({ language: req.language, reason: 'dead' });
    }
    const workspace = await this.workspaces.create(req.files);
    let cgroup: RunCgroup | null = null;
    try {
      cgroup = await this.cgroups.acquire(limits);
      const result = await this.run(req, limits, workspace, cgroup, requested);
      // Every process of the run is dead here (bwrap's init reaps them), so the files cannot change under the read.
      if (readPaths.length > 0) result.files = await readWorkspaceFiles(workspace, readPaths);
      return result;
    } finally {
      await this.workspaces.remove(workspace);
      if (cgroup !== null) this.releaseInBackground(cgroup);
    }
  }

  // The PID namespace is gone once bwrap has exited (its init reaps every process before dying), so emptying and
  // recycling the cgroup need not delay the caller; the pool simply gets the group back a little later.
  private releaseInBackground(cgroup: RunCgroup): void {
    const p = this.cgroups
      .release(cgroup)
      .then((emptied) => {
        if (!emptied) this.logger.error({ procs: cgroup.procsFiles }, 'sandbox cgroup still has processes after SIGKILL; leaving it');
      })
      .catch((err: unknown) => this.logger.error({ err }, 'cannot recycle sandbox cgroup'))
      .finally(() => this.pendingReleases.delete(p));
    this.pendingReleases.add(p);
  }

  /** Removes this backend's cgroups; runs in flight must have finished. */
  async dispose(): Promise<void> {
    await this.execPool?.dispose();
    await Promise.all([...this.pendingReleases]);
    await this.cgroups.dispose();
    this.launcher?.close();
  }

  /**
   * Spawns the hardened chain around `code` (the program, or a session runner). The caller owns the child: stdin is a
   * pipe when `stdin` is true, stdout and stderr are pipes.
   */
  private async spawnChain(
    language: SandboxLanguage,
    limits: SandboxLimits,
    workspace: string,
    cgroup: RunCgroup | null,
    program: ChainProgram,
    stdin: boolean,
  ): Promise<ChainProcess> {
    const command = buildSandboxCommand({
      ...('entryDir' in program ? { warm: { entryDir: program.entryDir, controlFd: CONTROL_FD, compiledRunner: program.compiledRunner } } : {}),
      language,
      limits,
      workspaceDir: workspace,
      scratchDirs: this.scratchDirs,
      runAsUser: this.caps.user,
      privilegeDrop: this.spawnAs !== null ? 'spawn' : 'setpriv',
      seccompFd: this.seccomp !== null ? SECCOMP_FD : null,
      codeFd: CODE_FD,
      setupFds: SETUP_FDS,
      cgroupProcsFiles: cgroup?.procsFiles ?? [],
      memoryCgroup: cgroup !== null,
      pidsCgroup: cgroup !== null,
      binaries: this.binaries,
      isolation: this.isolation,
    });
    try {
      // The launcher execs the chain with an empty environment (bwrap's own PID-1 reaper keeps the environment it was
      // started with, readable at /proc/1/environ), already as spawnAs when set.
      return await this.chainLauncher().spawn({
        file: command.file,
        args: command.args,
        stdin,
        ...(command.setup !== undefined ? { setup: command.setup } : {}),
        ...(this.seccomp !== null ? { seccompFd: SECCOMP_FD } : {}),
        ...('code' in program ? { code: { fd: CODE_FD, data: Buffer.from(program.code, 'utf8') } } : { controlFd: CONTROL_FD }),
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw unavailable(`cannot start ${command.file}`, err);
      throw err;
    }
  }

  // One launcher per backend, started on first use: every chain is started by it, never forked from this process.
  private chainLauncher(): ChainLauncher {
    this.launcher ??= new ChainLauncher(this.seccomp, this.spawnAs, this.logger);
    return this.launcher;
  }

  /**
   * Starts a persistent interpreter (a session runner) in its own workspace and cgroup; memory, processes, file size
   * and workspace limits hold for the whole session. Returns once the runner has answered an empty first cell.
   */
  async startSession(spec: { language: SandboxLanguage; limits: SandboxLimits }): Promise<LocalSandboxSession> {
    if (!SANDBOX_LANGUAGES.includes(spec.language)) {
      throw PlatformError.invalid('language', `must be one of ${SANDBOX_LANGUAGES.join(', ')}, got ${String(spec.language)}`);
    }
    const workspace = await this.workspaces.create();
    let cgroup: RunCgroup | null = null;
    try {
      cgroup = await this.cgroups.acquire(spec.limits);
      // RLIMIT_CPU counts the interpreter's whole life, so a session gets the operator's maximum; cells are bounded by wall time.
      const chainLimits = { ...spec.limits, cpuMs: this.policy.maxima.cpuMs };
      const child = await this.spawnChain(spec.language, chainLimits, workspace, cgroup, { code: sessionRunnerSource(spec.language) }, true);
      const session = new LocalSandboxSession(spec.language, spec.limits, child, workspace, cgroup, {
        owner: this.workspaces.owner,
        release: async () => {
          if (cgroup !== null) {
            const emptied = await this.cgroups.release(cgroup).catch((err: unknown) => {
              this.logger.error({ err }, 'cannot recycle session cgroup');
              return false;
            });
            if (!emptied) this.logger.error({ procs: cgroup.procsFiles }, 'session cgroup still has processes after SIGKILL');
          }
          await this.workspaces.remove(workspace);
        },
      });
      const ready = await session.runCell({ code: '', wallMs: SESSION_START_TIMEOUT_MS, cpuMs: SESSION_START_TIMEOUT_MS, outputBytes: 4096 });
      if (ready.sessionEnded || ready.exitCode !== 0) {
        await session.close();
        throw unavailable(`the ${spec.language} session runner did not start (exit ${String(ready.exitCode)}): ${ready.stderr.slice(0, 500)}`);
      }
      return session;
    } catch (err) {
      if (cgroup !== null && !(err instanceof PlatformError)) this.releaseInBackground(cgroup);
      if (!(err instanceof PlatformError)) await this.workspaces.remove(workspace);
      throw err;
    }
  }

  private async run(req: ExecRequest, limits: SandboxLimits, workspace: string, cgroup: RunCgroup | null, requested: number): Promise<ExecResult> {
    const before: CgroupCounters | null = cgroup ? await cgroup.counters() : null;
    const started = performance.now();
    const child = await this.spawnChain(req.language, limits, workspace, cgroup, { code: req.code }, req.stdin !== undefined);
    this.execPoolMetrics?.startWait.observe({ language: req.language, source: 'cold' }, (performance.now() - requested) / 1000);
    return this.observe({ child, exited: exitOf(child), cgroup, before, limits, workspace, started, signal: req.signal }, () => {
      if (req.stdin !== undefined) feed(child.stdin, Buffer.from(req.stdin, 'utf8'));
    });
  }

  /**
   * Watches one run to its end: output caps, wall-time and workspace limits (armed before `deliver` starts the
   * program), then reads the counters and says which limit, if any, stopped it.
   */
  private async observe(run: ObservedRun, deliver: () => void): Promise<ExecResult> {
    const { child, cgroup, before, limits, workspace, started } = run;
    const stdout = new OutputSink(limits.outputBytes);
    const stderr = new OutputSink(limits.outputBytes);
    let killedFor: 'wall_time' | 'output' | 'workspace' | null = null;

    const kill = (reason: 'wall_time' | 'output' | 'workspace'): void => {
      if (killedFor !== null) return;
      killedFor = reason;
      void this.killRun(child, cgroup);
    };

    const timer = setTimeout(() => kill('wall_time'), limits.wallMs);
    const abandon = () => kill('wall_time');
    if (run.signal?.aborted) abandon();
    else run.signal?.addEventListener('abort', abandon, { once: true });
    const workspaceWatch = watchWorkspace(workspace, limits.workspaceBytes, () => kill('workspace'));
    let grace: NodeJS.Timeout | undefined;

    child.stdout?.on('data', (c: Buffer) => {
      if (!stdout.push(c)) kill('output');
    });
    child.stderr?.on('data', (c: Buffer) => {
      if (!stderr.push(c)) kill('output');
    });
    deliver();

    let exit: ChainExit;
    try {
      exit = await Promise.race([
        run.exited,
        // A killed run whose pipes stay open (nothing should hold them, but never hang the caller) is cut loose.
        new Promise<never>((_, reject) => {
          grace = setTimeout(() => reject(new Error('sandbox did not exit')), limits.wallMs + KILL_GRACE_MS);
        }),
      ]);
    } catch (err) {
      void this.killRun(child, cgroup);
      child.stdout?.destroy();
      child.stderr?.destroy();
      if (killedFor === null) throw new PlatformError(PlatformErrorCode.INTERNAL, 'sandbox run failed', { cause: err });
      exit = { code: null, signal: 'SIGKILL' };
    } finally {
      clearTimeout(timer);
      clearTimeout(grace);
      run.signal?.removeEventListener('abort', abandon);
      workspaceWatch.stop();
    }
    const wallMs = Math.round(performance.now() - started);

    const after = cgroup ? await cgroup.counters() : null;
    const usage = await measureWorkspace(workspace);
    if (killedFor === null && usage.bytes > limits.workspaceBytes) killedFor = 'workspace';
    return interpretExecObservation({
      exitCode: exit.code,
      signal: exit.signal,
      killedFor,
      oomKilled: before !== null && after !== null && after.oomKills > before.oomKills,
      pidsLimitHit: before !== null && after !== null && after.pidsMaxEvents > before.pidsMaxEvents,
      stdout: stdout.text(),
      stderr: stderr.text(),
      stdoutTruncated: stdout.truncated,
      stderrTruncated: stderr.truncated,
      wallMs,
      // RLIMIT_FSIZE lets a writer reach the limit exactly, then refuses: a file at the limit means a write was cut.
      fileSizeHit: usage.largestFile >= limits.fileSizeBytes || mentionsFileTooLarge(stderr.text()),
      cpuMs: before !== null && after !== null ? Math.round((after.cpuNs - before.cpuNs) / 1e6) : 0,
    });
  }

  /**
   * Keeps `size` empty sandboxes per language pre-started with the default limits, so `execute` only writes the
   * program and reads the result. Requests the pool cannot serve (other limits fixed at spawn) run cold.
   */
  startExecPool(opts: ExecPoolOptions): void {
    if (this.execPool !== null) throw new Error('the exec pool is already started');
    if (this.isolation === 'pod' || opts.size === 0) return;
    this.execPoolMetrics = opts.metrics;
    if (opts.runnerBytecode === false) this.runnerBytecode = Promise.resolve(null);
    this.execPool = new WarmPool<WarmSandbox>({
      size: opts.size,
      languages: opts.languages ?? SANDBOX_LANGUAGES,
      limits: this.resolveLimits({}),
      fixed: SPAWN_FIXED_LIMITS,
      start: (language, limits) => this.prestart(language, limits),
      ready: opts.metrics.ready,
      logger: this.logger,
      what: 'one-shot sandbox',
      ...(opts.parallelStarts !== undefined ? { parallelStarts: opts.parallelStarts } : {}),
      ...(opts.gate !== undefined ? { gate: opts.gate } : {}),
    });
    this.execPool.start();
  }

  // The warm runners as bytecode, compiled once on first use (null: they go as source).
  private warmRunners(): Promise<ReadonlyMap<SandboxLanguage, Buffer> | null> {
    this.runnerBytecode ??= compileWarmRunners(LAUNCHER_PYTHON, SANDBOX_LANGUAGES, CONTROL_FD, sandboxEntryPath, this.logger);
    return this.runnerBytecode;
  }

  /** Resolves once the exec pool is full and no start is in flight (at once when there is no pool). */
  execPoolFull(): Promise<void> {
    return this.execPool?.whenFull() ?? Promise.resolve();
  }

  /**
   * Starts the whole chain for one future program: fresh workspace, entry directory and cgroup, the interpreter up and
   * waiting on its control socket. Resolves once the interpreter says it is ready.
   */
  async prestart(language: SandboxLanguage, limits: SandboxLimits): Promise<WarmSandbox> {
    if (this.isolation === 'pod') throw new Error('pre-started sandboxes need the bwrap chain');
    const workspace = await this.workspaces.create();
    let entryDir: string | null = null;
    let cgroup: RunCgroup | null = null;
    let child: ChainProcess | null = null;
    const release = async (): Promise<void> => {
      if (child?.pid !== undefined && child.closeStatus === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await Promise.all([this.workspaces.remove(workspace), entryDir !== null ? this.workspaces.removeEntry(entryDir) : undefined]);
      if (cgroup !== null) this.releaseInBackground(cgroup);
    };
    try {
      entryDir = await this.workspaces.createEntry();
      cgroup = await this.cgroups.acquire(limits);
      const before = cgroup ? await cgroup.counters() : null;
      const runner = (await this.warmRunners())?.get(language);
      if (runner !== undefined) await this.workspaces.placeProgram(entryDir, WARM_RUNNER_FILE, runner);
      child = await this.spawnChain(language, limits, workspace, cgroup, { entryDir, compiledRunner: runner !== undefined }, true);
      const exited = exitOf(child);
      const control = (child.stdio as unknown as readonly (Duplex | null | undefined)[])[CONTROL_FD];
      if (!control) throw new PlatformError(PlatformErrorCode.INTERNAL, 'the pre-started sandbox has no control socket');
      control.on('error', () => undefined);
      await waitReady(control, exited);
      // The runner has loaded its bytecode: the program will find only its own file in the entry directory.
      if (runner !== undefined) await this.workspaces.removeFromEntry(entryDir, WARM_RUNNER_FILE);
      return new WarmSandbox({ language, limits, child, control, exited, workspace, entryDir, cgroup, before, release });
    } catch (err) {
      await release();
      throw err;
    }
  }

  private takeWarm(language: SandboxLanguage, limits: SandboxLimits): WarmSandbox | null {
    const pool = this.execPool;
    if (pool === null) return null;
    if (!pool.fits(language, limits)) {
      this.execPoolMetrics?.misses.inc({ language, reason: 'shape' });
      return null;
    }
    for (let warm = pool.take(language, limits); warm !== null; warm = pool.take(language, limits)) {
      if (warm.claim()) return warm;
      void warm.close();
    }
    this.execPoolMetrics?.misses.inc({ language, reason: 'empty' });
    return null;
  }

  // The program goes into the entry directory (and the request's files into the untouched workspace) before the
  // start message; the clocks start when it is sent. Afterwards the sandbox is destroyed like a cold one. Null when
  // the runner never acknowledged the start (it died while it waited), so the program did not run.
  private async runWarm(warm: WarmSandbox, req: ExecRequest, limits: SandboxLimits, readPaths: readonly string[], requested: number): Promise<ExecResult | null> {
    const { child, control, exited, workspace, entryDir, cgroup, before } = warm.parts;
    let acknowledged = false;
    control.on('data', (chunk: Buffer) => {
      if (chunk.includes(0x73)) acknowledged = true;
    });
    try {
      if (req.files && req.files.length > 0) await this.workspaces.populate(workspace, req.files);
      await this.workspaces.placeProgram(entryDir, basename(sandboxEntryPath(req.language)), req.code);
      const started = performance.now();
      const result = await this.observe({ child, exited, cgroup, before, limits, workspace, started, signal: req.signal }, () => {
        control.end(warmStartMessage(req.stdin !== undefined));
        if (req.stdin !== undefined) feed(child.stdin, Buffer.from(req.stdin, 'utf8'));
        else child.stdin?.end();
      });
      if (!acknowledged) return null;
      this.execPoolMetrics?.startWait.observe({ language: req.language, source: 'pool' }, (started - requested) / 1000);
      if (readPaths.length > 0) result.files = await readWorkspaceFiles(workspace, readPaths);
      return result;
    } finally {
      await warm.close();
    }
  }

  private async killRun(child: ChainProcess, cgroup: RunCgroup | null): Promise<void> {
    // The process group reaches the chain before it joins the cgroup; the cgroup reaches everything after.
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already exited
      }
    }
    if (cgroup !== null) await cgroup.kill();
  }
}

/** One run being watched: the chain, what it holds, and when its clock started. */
interface ObservedRun {
  child: ChainProcess;
  exited: Promise<ChainExit>;
  cgroup: RunCgroup | null;
  before: CgroupCounters | null;
  limits: SandboxLimits;
  workspace: string;
  /** performance.now() when the run's time began: the spawn (cold) or the program's delivery (warm). */
  started: number;
  /** The caller's: when it aborts, the run is killed like one past its wall time (nobody waits for its result). */
  signal?: AbortSignal | undefined;
}

/** Settles when the chain has exited and its pipes are closed; rejects when it could not be spawned. */
function exitOf(child: ChainProcess): Promise<ChainExit> {
  return new Promise<ChainExit>((resolve, reject) => {
    if (child.closeStatus) return resolve(child.closeStatus);
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

function checkFileSizes(files: readonly WorkspaceFile[], limits: SandboxLimits): void {
  let total = 0;
  for (const f of files) {
    const size = typeof f.content === 'string' ? Buffer.byteLength(f.content) : f.content.byteLength;
    if (size > limits.fileSizeBytes) throw PlatformError.invalid('files', `${f.path} is ${size} bytes, above file_size_bytes ${limits.fileSizeBytes}`);
    total += size;
  }
  if (total > limits.workspaceBytes) throw PlatformError.invalid('files', `${total} bytes in all, above workspace_bytes ${limits.workspaceBytes}`);
}

function feed(stream: Writable | null | undefined, data: Buffer | null): void {
  if (!stream) return;
  // EPIPE when the program exits without reading its stdin is normal, not an error of the run.
  stream.on('error', () => undefined);
  if (data !== null && data.length > 0) stream.write(data);
  stream.end();
}

/** Waits for the warm runner's ready byte; fails when the chain exits first or takes too long. */
function waitReady(control: Duplex, exited: Promise<ChainExit>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`the pre-started sandbox was not ready within ${WARM_READY_TIMEOUT_MS} ms`)), WARM_READY_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      if (chunk.includes(0x72)) finish(null);
    };
    function finish(err: Error | null): void {
      clearTimeout(timer);
      control.off('data', onData);
      if (err === null) resolve();
      else reject(err);
    }
    control.on('data', onData);
    exited.then(
      (e) => finish(new Error(`the pre-started sandbox exited before it was ready (code ${String(e.code)}, signal ${String(e.signal)})`)),
      (err: unknown) => finish(err as Error),
    );
  });
}
