import { constants } from 'node:os';

/** The limit that ended (or, for processes, hampered) a run. */
export type SandboxLimitHit = 'wall_time' | 'cpu_time' | 'memory' | 'output' | 'processes' | 'file_size' | 'workspace' | 'rows';

/** What one sandboxed execution produced. */
export interface ExecResult {
  /** Exit status as a shell reports it: 128+n when the program died of signal n; null when the sandbox itself was killed. */
  exitCode: number | null;
  /** Name of the signal that ended the program or the sandbox, if any. */
  signal: string | null;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  timedOut: boolean;
  memoryExceeded: boolean;
  limitHit: SandboxLimitHit | null;
  wallMs: number;
  /** CPU time of all the run's processes, when a cgroup measured it (else 0). */
  cpuMs: number;
  /** Files read back from the workspace after the run, when the request named any. */
  files?: SandboxFile[];
}

/** A workspace file carried back to the caller. */
export interface SandboxFile {
  path: string;
  content: Uint8Array;
}

/** Raw facts the backend gathered about one run, before interpretation. */
export interface ExecObservation {
  /** Exit code of the outer process (bwrap), null if it died of a signal. */
  exitCode: number | null;
  /** Signal that killed the outer process, if any. */
  signal: string | null;
  /** Why the backend killed the run itself, if it did. */
  killedFor: 'wall_time' | 'cpu_time' | 'output' | 'workspace' | null;
  /** A write was refused by RLIMIT_FSIZE (SIGXFSZ, EFBIG, or a workspace file at exactly the limit). */
  fileSizeHit?: boolean;
  cpuMs?: number;
  /** The memory cgroup's OOM killer fired during the run. */
  oomKilled: boolean;
  /** A fork/clone was refused by the pids cgroup during the run. */
  pidsLimitHit: boolean;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  wallMs: number;
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** Signal name for a number, e.g. 9 → SIGKILL. */
export function signalName(n: number): string | null {
  return SIGNAL_NAMES.get(n) ?? null;
}

/**
 * Turns what the backend observed into the reported result. The backend's own kill is the reason when there is one;
 * then an OOM kill; then SIGXCPU from RLIMIT_CPU; a refused fork only counts when nothing else ended the run.
 */
export function interpretExecObservation(o: ExecObservation): ExecResult {
  // bwrap reports a program killed by signal n as exit 128+n, like a shell.
  const programSignal = o.exitCode !== null && o.exitCode > 128 && o.exitCode <= 128 + 64 ? signalName(o.exitCode - 128) : null;
  const signal = o.signal ?? programSignal;

  let limitHit: SandboxLimitHit | null = null;
  if (o.killedFor !== null) limitHit = o.killedFor;
  else if (o.oomKilled) limitHit = 'memory';
  else if (signal === 'SIGXCPU') limitHit = 'cpu_time';
  else if (signal === 'SIGXFSZ' || o.fileSizeHit === true) limitHit = 'file_size';
  else if (o.pidsLimitHit) limitHit = 'processes';

  return {
    exitCode: o.exitCode,
    signal,
    stdout: o.stdout,
    stderr: o.stderr,
    stdoutTruncated: o.stdoutTruncated,
    stderrTruncated: o.stderrTruncated,
    timedOut: o.killedFor === 'wall_time',
    memoryExceeded: o.oomKilled,
    limitHit,
    wallMs: o.wallMs,
    cpuMs: o.cpuMs ?? 0,
  };
}
