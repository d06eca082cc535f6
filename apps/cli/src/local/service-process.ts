import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const TSX_LOADER = pathToFileURL(require.resolve('tsx')).href;

// Services still running when the CLI exits for any reason are killed with it, never left behind as orphans.
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** One platform service started as a child process, its log in a file. */
export class ServiceProcess {
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    live.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        live.delete(child);
        this.exitCode = code ?? (signal ? 128 : null);
        resolve(this.exitCode);
      }),
    );
  }

  /** Starts `tsx <entry>` from the repository with the given environment; output goes to `<logDir>/<name>.log`. */
  static start(opts: {
    name: string;
    repoRoot: string;
    entry: string;
    args?: string[];
    /** Options for node itself, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS). */
    nodeArgs?: string[];
    env: Record<string, string | undefined>;
    logDir: string;
  }): ServiceProcess {
    mkdirSync(opts.logDir, { recursive: true });
    const logFile = join(opts.logDir, `${opts.name}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    // node itself (with tsx as a loader), not the tsx CLI: the CLI would run the service in a grandchild that a
    // SIGKILL of this child leaves running.
    const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), '--import', TSX_LOADER, join(opts.repoRoot, opts.entry), ...(opts.args ?? [])], {
      cwd: opts.repoRoot,
      env: { ...opts.env, TSX_TSCONFIG_PATH: join(opts.repoRoot, 'tsconfig.json'), LEMUR_PARENT_PID: String(process.pid) } as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    return new ServiceProcess(opts.name, child, logFile);
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Polls `url` until it answers 2xx; fails early, pointing at the log, when the process exits. */
  // Generous: a service compiles its TypeScript at start, which takes long on a slow, busy machine.
  async waitReady(url: string, timeoutMs = 180_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited with code ${this.exitCode} during start-up; see ${this.logFile}`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} was not ready at ${url} after ${timeoutMs} ms; see ${this.logFile}`);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Kills the process at once (used by tests that prove a killed worker loses nothing). */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
