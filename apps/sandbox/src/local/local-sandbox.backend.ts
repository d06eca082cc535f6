import { spawn, execFile, type ChildProcess, type StdioOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Writable } from 'node:stream';
import { promisify } from 'node:util';
import {
  DEFAULT_SANDBOX_BINARIES,
  DEFAULT_SANDBOX_POLICY,
  SANDBOX_LANGUAGES,
  buildSandboxCommand,
  interpretExecObservation,
  resolveSandboxLimits,
  validateSandboxPolicy,
  type ExecResult,
  type SandboxBinaries,
  type SandboxLanguage,
  type SandboxLimitPolicy,
  type SandboxLimits,
} from '@lemur/sandbox-policy';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { createLogger, type Logger } from '@lemur/shared-logging';
import { detectRunCgroups, type CgroupCounters, type CgroupMode, type RunCgroup, type RunCgroupDriver } from './run-cgroup.adapter';
import { RunWorkspaces, defaultWorkspaceRoot, type WorkspaceFile, type WorkspaceOwner } from './run-workspace.adapter';

const execFileAsync = promisify(execFile);

/** Where scripts/setup-sandbox.sh writes its state, relative to the repository root. */
export const SANDBOX_STATE_SUBDIR = join('.lemur', 'sandbox');
/** The unprivileged user a root-run service drops to (created by scripts/setup-sandbox.sh). */
export const DEFAULT_SANDBOX_USER = 'lemur-sbx';

const SETUP_HINT = 'run `sudo bash scripts/setup-sandbox.sh` from the repository root';
// Descriptors the chain inherits: bwrap reads the BPF from one and copies the program from the other.
const SECCOMP_FD = 9;
const CODE_FD = 10;
const KILL_GRACE_MS = 2_000;

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
  /** Operator defaults and maxima for limits. */
  policy?: SandboxLimitPolicy;
  /** Force a cgroup mode; default 'auto' (v2, then v1, then none). */
  cgroup?: CgroupMode | 'auto';
  /** Idle per-run cgroups kept for reuse. */
  cgroupPoolSize?: number;
  binaries?: SandboxBinaries;
  logger?: Logger;
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

class OutputSink {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  truncated = false;

  constructor(private readonly cap: number) {}

  /** Keeps bytes up to the cap; returns false once the cap is passed. */
  push(chunk: Buffer): boolean {
    if (this.truncated) return false;
    const room = this.cap - this.bytes;
    if (chunk.length > room) {
      this.chunks.push(chunk.subarray(0, room));
      this.bytes = this.cap;
      this.truncated = true;
      return false;
    }
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    return true;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Runs untrusted Python and bash on this host: empty environment, dropped to the sandbox user → sh (cgroup join, rlimits) →
 * bwrap (all namespaces, read-only root, seccomp) → interpreter, one fresh workspace and cgroup per run.
 */
export class LocalSandboxBackend {
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
  ) {}

  private readonly pendingReleases = new Set<Promise<void>>();

  /** Checks the host (bwrap, sandbox user, seccomp filter, cgroups) and returns a ready backend, or fails saying what to run. */
  static async detect(opts: LocalSandboxOptions = {}): Promise<LocalSandboxBackend> {
    const logger = (opts.logger ?? createLogger('sandbox')).child({ context: 'LocalSandboxBackend' });
    const binaries = opts.binaries ?? DEFAULT_SANDBOX_BINARIES;
    const policy = validateSandboxPolicy(opts.policy ?? DEFAULT_SANDBOX_POLICY);

    let bwrapVersion: string;
    try {
      const { stdout } = await execFileAsync(binaries.bwrap, ['--version'], { env: {} });
      bwrapVersion = stdout.trim().replace(/^bubblewrap\s+/, '');
    } catch (err) {
      throw unavailable(`bubblewrap not found at ${binaries.bwrap}`, err);
    }
    if (!existsSync(binaries.sh)) throw unavailable(`${binaries.sh} not found`);

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
    const caps: LocalSandboxCapabilities = { cgroup: driver.mode, seccomp: seccomp !== null, user, bwrapVersion };
    logger.info({ ...caps }, 'local sandbox ready');
    // v2 migration needs write access at the common ancestor, i.e. root: only there does the chain keep setpriv.
    const spawnAs = owner !== null && driver.mode !== 'v2' ? owner : null;
    return new LocalSandboxBackend(caps, policy, seccomp, driver, workspaces, binaries, logger, spawnAs);
  }

  /** What this host enforces. */
  capabilities(): LocalSandboxCapabilities {
    return { ...this.caps };
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
    const workspace = await this.workspaces.create(req.files);
    let cgroup: RunCgroup | null = null;
    try {
      cgroup = await this.cgroups.acquire(limits);
      return await this.run(req, limits, workspace, cgroup);
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
    await Promise.all([...this.pendingReleases]);
    await this.cgroups.dispose();
  }

  private async run(req: ExecRequest, limits: SandboxLimits, workspace: string, cgroup: RunCgroup | null): Promise<ExecResult> {
    const command = buildSandboxCommand({
      language: req.language,
      limits,
      workspaceDir: workspace,
      runAsUser: this.caps.user,
      privilegeDrop: this.spawnAs !== null ? 'spawn' : 'setpriv',
      seccompFd: this.seccomp !== null ? SECCOMP_FD : null,
      codeFd: CODE_FD,
      cgroupProcsFiles: cgroup?.procsFiles ?? [],
      memoryCgroup: cgroup !== null,
      pidsCgroup: cgroup !== null,
      binaries: this.binaries,
    });
    const before: CgroupCounters | null = cgroup ? await cgroup.counters() : null;

    const stdio: StdioOptions = [req.stdin !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'];
    for (let fd = 3; fd < CODE_FD; fd++) stdio.push('ignore');
    stdio[SECCOMP_FD] = this.seccomp !== null ? 'pipe' : 'ignore';
    stdio[CODE_FD] = 'pipe';

    const started = performance.now();
    // env {}: bwrap's own PID-1 reaper keeps the environment it was started with, readable at /proc/1/environ.
    const child = spawn(command.file, command.args, {
      env: {},
      stdio,
      detached: true,
      // libuv clears supplementary groups, then setgid/setuid, before exec; bwrap itself sets no_new_privs.
      ...(this.spawnAs ? { uid: this.spawnAs.uid, gid: this.spawnAs.gid } : {}),
    });
    const stdout = new OutputSink(limits.outputBytes);
    const stderr = new OutputSink(limits.outputBytes);
    let killedFor: 'wall_time' | 'output' | null = null;

    const kill = (reason: 'wall_time' | 'output'): void => {
      if (killedFor !== null) return;
      killedFor = reason;
      void this.killRun(child, cgroup);
    };

    const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    const timer = setTimeout(() => kill('wall_time'), limits.wallMs);
    let grace: NodeJS.Timeout | undefined;

    child.stdout?.on('data', (c: Buffer) => {
      if (!stdout.push(c)) kill('output');
    });
    child.stderr?.on('data', (c: Buffer) => {
      if (!stderr.push(c)) kill('output');
    });
    // Node types stdio as a 5-tuple; the extra descriptors are there at runtime.
    const extraFds = child.stdio as unknown as readonly (Writable | null | undefined)[];
    feed(extraFds[SECCOMP_FD], this.seccomp);
    feed(extraFds[CODE_FD], Buffer.from(req.code, 'utf8'));
    if (req.stdin !== undefined) feed(child.stdin, Buffer.from(req.stdin, 'utf8'));

    let exit: { code: number | null; signal: NodeJS.Signals | null };
    try {
      exit = await Promise.race([
        done,
        // A killed run whose pipes stay open (nothing should hold them, but never hang the caller) is cut loose.
        new Promise<never>((_, reject) => {
          grace = setTimeout(() => reject(new Error('sandbox did not exit')), limits.wallMs + KILL_GRACE_MS);
        }),
      ]);
    } catch (err) {
      void this.killRun(child, cgroup);
      child.stdout?.destroy();
      child.stderr?.destroy();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw unavailable(`cannot start ${command.file}`, err);
      if (killedFor === null) throw new PlatformError(PlatformErrorCode.INTERNAL, 'sandbox run failed', { cause: err });
      exit = { code: null, signal: 'SIGKILL' };
    } finally {
      clearTimeout(timer);
      clearTimeout(grace);
    }
    const wallMs = Math.round(performance.now() - started);

    const after = cgroup ? await cgroup.counters() : null;
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
    });
  }

  private async killRun(child: ChildProcess, cgroup: RunCgroup | null): Promise<void> {
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

function feed(stream: Writable | null | undefined, data: Buffer | null): void {
  if (!stream) return;
  // EPIPE when the program exits without reading its stdin is normal, not an error of the run.
  stream.on('error', () => undefined);
  if (data !== null && data.length > 0) stream.write(data);
  stream.end();
}
