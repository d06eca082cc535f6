import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import {
  CellSentinelScanner,
  encodeCellFrame,
  interpretExecObservation,
  type SandboxFile,
  type SandboxLanguage,
  type SandboxLimits,
} from '@lemur/sandbox-policy';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { ChainProcess } from './chain-launcher';
import type { SandboxSession, SessionCellRequest, SessionCellResult, SessionFile } from '../session/sandbox-session';
import { OutputSink } from './output-sink';
import type { CgroupCounters, RunCgroup } from './run-cgroup.adapter';
import type { WorkspaceOwner } from './run-workspace.adapter';
import { measureWorkspace, mentionsFileTooLarge, readWorkspaceFiles, watchWorkspace, writeWorkspaceFiles } from './workspace-files.adapter';

/** After the first SIGINT, how long a cell has to come back before the whole session is killed. */
const INTERRUPT_GRACE_MS = 2_000;
/** SIGINT is repeated: one that lands before the runner has armed its handler for the cell is a no-op. */
const INTERRUPT_REPEAT_MS = 200;
const EXIT_WAIT_MS = 5_000;

type KillReason = 'wall_time' | 'cpu_time' | 'output' | 'workspace';
/** How often a running cell's CPU time is checked against its limit. */
const CPU_POLL_MS = 100;

interface RunningCell {
  stdout: OutputSink;
  stderr: OutputSink;
  outDone: boolean;
  errDone: boolean;
  status: number | null;
  killedFor: KillReason | null;
  finish: () => void;
  interrupt: (reason: KillReason) => void;
}

/** What the backend does for a session when it ends. */
export interface LocalSessionHost {
  owner: WorkspaceOwner | null;
  /** Empties and recycles the cgroup, deletes the workspace. */
  release(): Promise<void>;
}

/**
 * Host pids of the sandboxed processes under the chain root: every descendant that is not one of bwrap's own
 * processes (the outer monitor and the namespace's init). Those are what a terminal's Ctrl-C would reach.
 */
async function sandboxedProcesses(root: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  const comm = new Map<number, string>();
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
    if (stat === null) continue;
    const close = stat.lastIndexOf(')');
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    comm.set(Number(name), stat.slice(stat.indexOf('(') + 1, close));
    children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    if (comm.get(pid) !== 'bwrap') out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * One persistent interpreter (python runner or bash) in the local bubblewrap chain. Cells go in on the runner's
 * command pipe; their output is cut out of stdout/stderr at the runner's per-cell sentinels.
 */
export class LocalSandboxSession implements SandboxSession {
  private readonly outScan = new CellSentinelScanner(true);
  private readonly errScan = new CellSentinelScanner(false);
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private cell: RunningCell | null = null;
  private readonly listeners: (() => void)[] = [];
  private released: Promise<void> | null = null;
  private counters: CgroupCounters | null = null;

  constructor(
    readonly language: SandboxLanguage,
    readonly limits: SandboxLimits,
    private readonly child: ChainProcess,
    private readonly workspace: string,
    private readonly cgroup: RunCgroup | null,
    private readonly host: LocalSessionHost,
  ) {
    child.stdin?.on('error', () => undefined);
    child.stdout?.on('data', (c: Buffer) => this.onData('out', c));
    child.stderr?.on('data', (c: Buffer) => this.onData('err', c));
    this.exited = new Promise((resolve) => {
      if (child.closeStatus) return resolve(child.closeStatus);
      child.once('error', () => resolve({ code: null, signal: null }));
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    void this.exited.then((e) => {
      this.exit = e;
      this.cell?.finish();
      for (const l of this.listeners.splice(0)) l();
    });
  }

  get ended(): boolean {
    return this.exit !== null;
  }

  onEnded(listener: () => void): void {
    if (this.exit !== null) listener();
    else this.listeners.push(listener);
  }

  async runCell(req: SessionCellRequest): Promise<SessionCellResult> {
    if (this.exit !== null || this.cell !== null) throw new PlatformError(PlatformErrorCode.INTERNAL, 'session is not ready for a cell');
    const token = `lemur_${randomBytes(16).toString('hex')}`;
    const frame = encodeCellFrame(this.language, token, req.code);
    // Nothing of the session runs between cells but what it left in the background: the last cell's end is this one's start.
    const before: CgroupCounters | null = this.counters ?? (this.cgroup ? await this.cgroup.counters() : null);
    const stdout = new OutputSink(req.outputBytes);
    const stderr = new OutputSink(req.outputBytes);
    let grace: NodeJS.Timeout | undefined;
    let repeat: NodeJS.Timeout | undefined;
    let finish: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const cell: RunningCell = {
      stdout,
      stderr,
      outDone: false,
      errDone: false,
      status: null,
      killedFor: null,
      finish,
      interrupt: (reason) => {
        if (cell.killedFor !== null) return;
        cell.killedFor = reason;
        if (reason === 'workspace') {
          this.kill();
          return;
        }
        void this.interrupt();
        repeat = setInterval(() => void this.interrupt(), INTERRUPT_REPEAT_MS);
        grace = setTimeout(() => this.kill(), INTERRUPT_GRACE_MS);
      },
    };
    this.cell = cell;
    // The interpreter may have died while the counters were read; then there is nothing to wait for.
    if (this.exit !== null) finish();
    this.accept(cell, 'out', this.outScan.begin(token));
    this.accept(cell, 'err', this.errScan.begin(token));
    const wall = setTimeout(() => cell.interrupt('wall_time'), req.wallMs);
    // The caller gave up: the cell is interrupted as at its wall time (SessionService counts it as cancelled).
    const onAbort = () => cell.interrupt('wall_time');
    if (req.signal?.aborted) onAbort();
    else req.signal?.addEventListener('abort', onAbort, { once: true });
    const watch = watchWorkspace(this.workspace, this.limits.workspaceBytes, () => cell.interrupt('workspace'));
    // RLIMIT_CPU would count the interpreter's whole life, so a cell's CPU time is the cgroup's, polled.
    const cpuWatch =
      before !== null && this.cgroup !== null
        ? setInterval(() => {
            void this.cgroup?.counters().then((now) => {
              if (now.cpuNs > 0 && (now.cpuNs - before.cpuNs) / 1e6 > req.cpuMs) cell.interrupt('cpu_time');
            });
          }, CPU_POLL_MS)
        : undefined;
    // The cell's wall time is the interpreter's: from handing it the cell to its end markers, without the set-up above
    // or the checks below (the service's own work).
    const started = performance.now();
    this.child.stdin?.write(frame);
    await done;
    const wallMs = Math.round(performance.now() - started);
    clearTimeout(wall);
    req.signal?.removeEventListener('abort', onAbort);
    clearTimeout(grace);
    clearInterval(repeat);
    watch.stop();
    clearInterval(cpuWatch);
    this.cell = null;

    if (this.exit !== null) {
      // Whatever the interpreter printed before it died belongs to this cell.
      stdout.push(this.outScan.flush());
      stderr.push(this.errScan.flush());
    } else if (cell.killedFor === null) {
      const usage = await measureWorkspace(this.workspace, this.limits.workspaceBytes);
      if (usage.bytes > this.limits.workspaceBytes) {
        cell.killedFor = 'workspace';
        this.kill();
      }
    }
    const ended = cell.killedFor === 'workspace' ? await this.exited : this.exit;
    const after = this.cgroup ? await this.cgroup.counters() : null;
    this.counters = after;
    const stderrText = stderr.text();
    const result = interpretExecObservation({
      exitCode: ended !== null ? ended.code : cell.status,
      signal: ended?.signal ?? null,
      killedFor: cell.killedFor,
      oomKilled: before !== null && after !== null && after.oomKills > before.oomKills,
      pidsLimitHit: before !== null && after !== null && after.pidsMaxEvents > before.pidsMaxEvents,
      fileSizeHit: mentionsFileTooLarge(stderrText),
      stdout: stdout.text(),
      stderr: stderrText,
      stdoutTruncated: stdout.truncated,
      stderrTruncated: stderr.truncated,
      wallMs,
      cpuMs: before !== null && after !== null ? Math.round((after.cpuNs - before.cpuNs) / 1e6) : 0,
    });
    const files = ended === null && req.readFiles && req.readFiles.length > 0 ? await readWorkspaceFiles(this.workspace, req.readFiles) : [];
    return { ...result, files, sessionEnded: ended !== null };
  }

  async writeFiles(files: readonly SessionFile[]): Promise<void> {
    await writeWorkspaceFiles(this.workspace, files, this.host.owner, this.limits);
    const usage = await measureWorkspace(this.workspace, this.limits.workspaceBytes);
    if (usage.bytes > this.limits.workspaceBytes) {
      throw new PlatformError(PlatformErrorCode.RESOURCE_EXHAUSTED, `the session workspace holds more than workspace_bytes ${this.limits.workspaceBytes}; delete files first`);
    }
  }

  readFiles(paths: readonly string[]): Promise<SandboxFile[]> {
    return readWorkspaceFiles(this.workspace, paths, 'paths');
  }

  async close(): Promise<void> {
    this.kill();
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, EXIT_WAIT_MS).unref())]);
    this.released ??= this.host.release();
    await this.released;
  }

  private onData(stream: 'out' | 'err', chunk: Buffer): void {
    const scanner = stream === 'out' ? this.outScan : this.errScan;
    const step = scanner.push(chunk);
    const cell = this.cell;
    if (cell === null) return;
    this.accept(cell, stream, step.output);
    if (!step.done) return;
    if (stream === 'out') {
      cell.outDone = true;
      cell.status = step.status;
    } else {
      cell.errDone = true;
    }
    if (cell.outDone && cell.errDone) cell.finish();
  }

  private accept(cell: RunningCell, stream: 'out' | 'err', bytes: Buffer): void {
    if (bytes.length === 0) return;
    const sink = stream === 'out' ? cell.stdout : cell.stderr;
    if (!sink.push(bytes)) cell.interrupt('output');
  }

  private async interrupt(): Promise<void> {
    if (this.child.pid === undefined) return;
    const pids = await sandboxedProcesses(this.child.pid);
    if (pids.length === 0) this.kill();
    for (const pid of pids) signal(pid, 'SIGINT');
  }

  private kill(): void {
    // The chain's process group reaches bwrap; the cgroup reaches everything inside.
    if (this.child.pid !== undefined) signal(-this.child.pid, 'SIGKILL');
    void this.cgroup?.kill();
  }
}
