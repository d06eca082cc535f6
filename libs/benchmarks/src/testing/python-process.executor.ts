import { spawn } from 'node:child_process';
import { type CodeExecutor, type ExecutionRequest, type ExecutionResult } from '../benchmark';

const MAX_OUTPUT_BYTES = 64 * 1024;

/**
 * Test-only executor: runs `/usr/bin/python3 -I` as a plain child process with a wall-clock timeout and an empty
 * environment. It is NOT a sandbox (the sandbox service is); it exists so known-answer tests run real Python.
 */
export class PythonProcessExecutor implements CodeExecutor {
  execute(req: ExecutionRequest): Promise<ExecutionResult> {
    if (req.language !== 'python') return Promise.reject(new Error(`PythonProcessExecutor runs Python only, not ${req.language}`));
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawn('/usr/bin/python3', ['-I', '-'], { env: {}, stdio: ['pipe', 'pipe', 'pipe'] });
      const out = new OutputBuffer();
      const err = new OutputBuffer();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, req.timeoutMs);
      child.stdout.on('data', (d: Buffer) => out.push(d));
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({
          exitCode: code,
          stdout: out.text(),
          stderr: err.text(),
          timedOut,
          memoryExceeded: false,
          outputTruncated: out.truncated || err.truncated,
          wallMs: Math.round(performance.now() - started),
        });
      });
      // A program that exits before reading all of stdin closes the pipe; that is its business, not an executor error.
      child.stdin.on('error', () => undefined);
      child.stdin.end(req.code);
    });
  }
}

class OutputBuffer {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  truncated = false;

  push(chunk: Buffer): void {
    const room = MAX_OUTPUT_BYTES - this.bytes;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    if (chunk.length > room) this.truncated = true;
    const kept = chunk.subarray(0, room);
    this.chunks.push(kept);
    this.bytes += kept.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Maps items through an async function with at most `limit` in flight, keeping order. */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next;
      next += 1;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
