import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
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

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts apps/vllm-sim as its own process on a free loopback port (as in production, a separate server) and waits until
 * it answers. `args` are the simulator's flags, e.g. `['--model', 'm=echo', '--fast']`.
 */
export async function startSimulatorProcess(args: string[], timeoutMs = 30_000): Promise<SimulatorProcess> {
  const port = await freePort();
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
