import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { encodeCellFrame, PYTHON_SESSION_RUNNER } from '@lemur/sandbox-policy';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { CellResult, SandboxSessions } from '../src/sandbox/sandbox-session-client';

// Test support: the sandbox's own Python session runner, started as a plain child process (no bubblewrap, empty
// environment, isolated mode). It runs published model code whose only effects are prints and tool calls.

interface Proc {
  child: ChildProcessWithoutNullStreams;
  out: string;
  err: string;
  exited: boolean;
  wake?: () => void;
}

/** Python sessions over PYTHON_SESSION_RUNNER, one child process per session. */
export class PythonRunnerSessions implements SandboxSessions {
  private readonly procs = new Map<string, Proc>();
  cells = 0;

  async create(): Promise<string> {
    const id = randomBytes(8).toString('hex');
    const child = spawn('/usr/bin/python3', ['-I', '-c', PYTHON_SESSION_RUNNER], { env: {}, stdio: 'pipe' });
    const proc: Proc = { child, out: '', err: '', exited: false };
    const wake = (): void => proc.wake?.();
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      proc.out += d;
      wake();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      proc.err += d;
      wake();
    });
    child.on('exit', () => {
      proc.exited = true;
      wake();
    });
    this.procs.set(id, proc);
    return id;
  }

  async runCell(id: string, code: string, opts: { wallMs: number }): Promise<CellResult> {
    const proc = this.procs.get(id);
    if (proc === undefined || proc.exited) throw new PlatformError(PlatformErrorCode.SESSION_NOT_FOUND, `session ${id} not found`);
    this.cells += 1;
    const token = randomBytes(12).toString('hex');
    proc.out = '';
    proc.err = '';
    const started = Date.now();
    proc.child.stdin.write(encodeCellFrame('python', token, code));
    const outEnd = new RegExp(`${token}:(\\d+)\\n$`);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.child.kill('SIGINT');
    }, opts.wallMs);
    try {
      for (;;) {
        const m = outEnd.exec(proc.out);
        if (m !== null && proc.err.endsWith(`${token}\n`)) {
          return {
            result: {
              exitCode: Number(m[1]),
              stdout: proc.out.slice(0, m.index),
              stderr: proc.err.slice(0, -(token.length + 1)),
              timedOut,
              memoryExceeded: false,
              outputTruncated: false,
              wallMs: Date.now() - started,
            },
            sessionEnded: false,
          };
        }
        if (proc.exited) {
          this.procs.delete(id);
          return { result: { exitCode: null, stdout: proc.out, stderr: proc.err, timedOut, memoryExceeded: false, outputTruncated: false, wallMs: Date.now() - started }, sessionEnded: true };
        }
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 100);
          proc.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async close(id: string): Promise<void> {
    const proc = this.procs.get(id);
    this.procs.delete(id);
    proc?.child.kill('SIGKILL');
  }

  get open(): number {
    return this.procs.size;
  }
}
