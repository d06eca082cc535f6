import type { sandboxV1 } from '@lemur/proto';
import type { SandboxFile, SandboxLanguage, SandboxLimits } from '@lemur/sandbox-policy';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { GrpcClient } from '@lemur/shared-grpc';
import type { SandboxSession, SessionCellRequest, SessionCellResult, SessionFile } from '../session';
import { fromExecuteResponse } from './runner-wire';

/** Room for the runner's own work around a cell's wall time (framing, reading files back). */
const CELL_MARGIN_MS = 15_000;

type RunnerClient = GrpcClient<(typeof sandboxV1.SandboxService)['method']>;

/** A session living in one claimed pod: each call is forwarded to the pod's runner; closing deletes the pod. */
export class KubernetesSandboxSession implements SandboxSession {
  private isEnded = false;
  private readonly listeners: (() => void)[] = [];
  private closing: Promise<void> | null = null;
  private renewAfter: number;

  constructor(
    readonly language: SandboxLanguage,
    readonly limits: SandboxLimits,
    private readonly runner: RunnerClient,
    private readonly sessionId: string,
    private readonly pod: { release(): Promise<void>; renew(): Promise<void>; claimTtlMs: number },
  ) {
    this.renewAfter = Date.now() + pod.claimTtlMs / 2;
  }

  get ended(): boolean {
    return this.isEnded;
  }

  onEnded(listener: () => void): void {
    if (this.isEnded) listener();
    else this.listeners.push(listener);
  }

  async runCell(req: SessionCellRequest): Promise<SessionCellResult> {
    // A session in use keeps its pod: past half the claim TTL, the TTL is pushed out again before the cell runs.
    if (Date.now() > this.renewAfter) {
      await this.pod.renew();
      this.renewAfter = Date.now() + this.pod.claimTtlMs / 2;
    }
    const answer = await this.call(() =>
      this.runner.runCell(
        { sessionId: this.sessionId, code: req.code, wallMs: req.wallMs, readFiles: [...(req.readFiles ?? [])] },
        // The caller giving up cancels the runner's call, and the runner interrupts the cell.
        { deadlineMs: req.wallMs + CELL_MARGIN_MS, ...(req.signal ? { signal: req.signal } : {}) },
      ),
    );
    if (!answer.result) throw new PlatformError(PlatformErrorCode.UPSTREAM_FAILED, 'the sandbox pod answered a cell without a result');
    const result = fromExecuteResponse(answer.result);
    if (answer.sessionEnded) this.markEnded();
    return { ...result, files: result.files ?? [], sessionEnded: answer.sessionEnded };
  }

  async writeFiles(files: readonly SessionFile[]): Promise<void> {
    const wire = files.map((f) => ({ path: f.path, content: typeof f.content === 'string' ? new TextEncoder().encode(f.content) : f.content }));
    await this.call(() => this.runner.writeFiles({ sessionId: this.sessionId, files: wire }));
  }

  async readFiles(paths: readonly string[]): Promise<SandboxFile[]> {
    const answer = await this.call(() => this.runner.readFiles({ sessionId: this.sessionId, paths: [...paths] }));
    return answer.files.map((f) => ({ path: f.path, content: f.content }));
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        if (!this.isEnded) await this.runner.closeSession({ sessionId: this.sessionId }).catch(() => undefined);
      } finally {
        this.runner.close();
        this.markEnded();
        // The pod goes whatever the runner said: it is never handed out again.
        await this.pod.release();
      }
    })();
    return this.closing;
  }

  // A runner that stopped answering (pod evicted, runner killed by the program) ends the session.
  private async call<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      // Only a refused request leaves the interpreter as it was; after anything else its state is unknown.
      if (!(err instanceof PlatformError) || (err.code !== PlatformErrorCode.INVALID_ARGUMENT && err.code !== PlatformErrorCode.RESOURCE_EXHAUSTED)) this.markEnded();
      throw err;
    }
  }

  private markEnded(): void {
    if (this.isEnded) return;
    this.isEnded = true;
    for (const l of this.listeners.splice(0)) l();
  }
}
