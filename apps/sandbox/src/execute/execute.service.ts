import type { ExecResult } from '@lemur/sandbox-policy';
import type { ExecRequest, LocalSandboxBackend } from '../local';
import type { SandboxMetrics } from './sandbox.metrics';

/** Runs programs on the backend, at most `maxConcurrent` at once (FIFO), and counts what happened. */
export class ExecuteService {
  private running = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly backend: LocalSandboxBackend,
    private readonly metrics: SandboxMetrics,
    private readonly maxConcurrent: number,
  ) {}

  async execute(req: ExecRequest, signal: AbortSignal): Promise<ExecResult | null> {
    await this.acquire();
    try {
      if (signal.aborted) return null;
      this.metrics.running.inc();
      const result = await this.backend.execute(req);
      const outcome = result.limitHit ?? (result.exitCode === 0 ? 'ok' : 'nonzero_exit');
      this.metrics.runs.inc({ language: req.language, outcome });
      this.metrics.duration.observe({ language: req.language }, result.wallMs / 1000);
      return result;
    } finally {
      this.metrics.running.dec();
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < this.maxConcurrent) {
      this.running += 1;
      return Promise.resolve();
    }
    this.metrics.waiting.inc();
    return new Promise((resolve) =>
      this.waiters.push(() => {
        this.metrics.waiting.dec();
        resolve();
      }),
    );
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.running -= 1;
  }
}
