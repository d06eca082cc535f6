import type { ExecResult } from '@lemur/sandbox-policy';
import { PlatformError } from '@lemur/shared-errors';
import type { ExecRequest } from '../local';
import type { SqlExecuteService, SqlRunRequest } from '../sql';
import { IdleGate } from '../warm-pool/idle-gate';
import type { ExecBackend } from './sandbox-backend';
import type { SandboxMetrics } from './sandbox.metrics';

/** How many runs at once, and what else the service runs with. */
export interface ExecuteOptions {
  /** Runs at once (SANDBOX_MAX_CONCURRENT); the rest wait in FIFO order. */
  maxConcurrent: number;
  /** Runs SQL requests; without it they are refused. */
  sql?: SqlExecuteService | null;
  /** How long no run may start or end before a pre-start may use an idle slot (SANDBOX_EXEC_POOL_QUIET_MS; default 0). */
  poolQuietMs?: number;
}

/** Runs programs on the backend, at most `maxConcurrent` at once (FIFO), and counts what happened. */
export class ExecuteService {
  private running = 0;
  private readonly waiters: (() => void)[] = [];
  /** The slots these runs leave idle, which pre-starts may use (a slot handed to a waiting run never shows as idle). */
  readonly idle: IdleGate;

  private readonly maxConcurrent: number;
  private readonly sql: SqlExecuteService | null;

  constructor(
    private readonly backend: ExecBackend,
    private readonly metrics: SandboxMetrics,
    opts: ExecuteOptions,
  ) {
    this.maxConcurrent = opts.maxConcurrent;
    this.sql = opts.sql ?? null;
    this.idle = new IdleGate(opts.maxConcurrent, opts.poolQuietMs ?? 0);
  }

  async execute(req: ExecRequest | SqlRunRequest, signal: AbortSignal): Promise<ExecResult | null> {
    await this.acquire();
    try {
      if (signal.aborted) return null;
      this.metrics.running.inc();
      const result = req.language === 'sql' ? await this.executeSql(req) : await this.backend.execute({ ...req, signal });
      // A run stopped because its caller gave up is counted as cancelled, not as the wall-time limit it was ended by.
      this.metrics.record({ language: req.language, backend: this.backend.name, mode: 'execute' }, result, signal.aborted ? 'cancelled' : undefined);
      return result;
    } finally {
      this.metrics.running.dec();
      this.release();
    }
  }

  /** The MySQL databases SQL requests may name (GetCapabilities); empty without SQL or a MySQL server. */
  mysqlDatabases(): Promise<string[]> {
    return this.sql?.mysqlDatabases() ?? Promise.resolve([]);
  }

  private executeSql(req: SqlRunRequest): Promise<ExecResult> {
    if (this.sql === null) throw PlatformError.invalid('language', 'SQL is not enabled on this sandbox service');
    return this.sql.execute(req);
  }

  private acquire(): Promise<void> {
    if (this.running < this.maxConcurrent) {
      this.running += 1;
      this.idle.runStarted();
      this.metrics.slotWait.observe(0);
      return Promise.resolve();
    }
    this.metrics.waiting.inc();
    const waited = this.metrics.slotWait.startTimer();
    return new Promise((resolve) =>
      this.waiters.push(() => {
        this.metrics.waiting.dec();
        waited();
        resolve();
      }),
    );
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else {
      this.running -= 1;
      this.idle.runEnded();
    }
  }
}
