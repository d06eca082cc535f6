import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '@lemur/shared-config';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const REPO_ROOT = resolve(__dirname, '../../../..');

/** A vllm-sim process started for a test. */
export interface SimulatorProcess {
  url: string;
  /** Everything the process wrote, for assertions and failure messages. */
  output(): string;
  /** The simulator's Prometheus metrics text. */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts apps/vllm-sim as its own process on a free loopback port (as in production, a separate server) and waits until
 * it answers. `args` are the simulator's flags, e.g. `['--model', 'm=echo', '--fast']`; `port` restarts a replica at
 * the address it had (a pod coming back).
 */
export async function startSimulatorProcess(args: string[], timeoutMs = 30_000, port?: number): Promise<SimulatorProcess> {
  port ??= await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', pathToFileURL(require.resolve('tsx')).href, join(REPO_ROOT, 'apps/vllm-sim/src/main.ts'), '--port', String(port), ...args],
    { cwd: REPO_ROOT, env: { ...process.env, TSX_TSCONFIG_PATH: join(REPO_ROOT, 'tsconfig.json') }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`vllm-sim exited with ${child.exitCode}:\n${output}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`vllm-sim did not answer within ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    output: () => output,
    metrics: async () => (await fetch(`${url}/metrics`)).text(),
    close: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
