import { create } from '@bufbuild/protobuf';
import type { ExecutionResult } from '@lemur/benchmarks';
import { sandboxV1 } from '@lemur/proto';
import { toExecutionResult, type SandboxClient } from '@lemur/shared-sandbox-client';

/** One cell's outcome; `sessionEnded` when a limit killed the interpreter (its state is gone). */
export interface CellResult {
  result: ExecutionResult;
  sessionEnded: boolean;
}

/** Persistent interpreter sessions, as an episode runner needs them (the real one is the sandbox service). */
export interface SandboxSessions {
  /** Starts a Python (default) or bash session whose cells each run at most `cellWallMs` and `cellCpuMs` of CPU; returns its id. */
  create(opts: { cellWallMs: number; cellCpuMs: number; signal?: AbortSignal; language?: 'python' | 'bash' }): Promise<string>;
  runCell(sessionId: string, code: string, opts: { wallMs: number; signal?: AbortSignal }): Promise<CellResult>;
  close(sessionId: string): Promise<void>;
}

type SessionRpc = Pick<SandboxClient, 'createSession' | 'runCell' | 'closeSession'>;

// Headroom over a cell's own wall limit for the sandbox to report it (and start an interpreter on create).
const RPC_SLACK_MS = 30_000;
// A session is an episode's: one that its runner lost (worker killed) is reclaimed after this long.
const IDLE_TIMEOUT_MS = 300_000;

/** Python and bash sessions in the sandbox service (CreateSession / RunCell / CloseSession), scoped to one team. */
export class SandboxSessionClient implements SandboxSessions {
  constructor(
    private readonly client: SessionRpc,
    private readonly team: string,
  ) {}

  async create(opts: { cellWallMs: number; cellCpuMs: number; signal?: AbortSignal; language?: 'python' | 'bash' }): Promise<string> {
    const language = opts.language === 'bash' ? sandboxV1.Language.BASH : sandboxV1.Language.PYTHON;
    const response = await this.client.createSession(
      { language, team: this.team, limits: { wallMs: opts.cellWallMs, cpuMs: opts.cellCpuMs }, idleTimeoutMs: IDLE_TIMEOUT_MS },
      { deadlineMs: RPC_SLACK_MS, ...(opts.signal ? { signal: opts.signal } : {}) },
    );
    return response.sessionId;
  }

  async runCell(sessionId: string, code: string, opts: { wallMs: number; signal?: AbortSignal }): Promise<CellResult> {
    const response = await this.client.runCell(
      { sessionId, team: this.team, code, wallMs: opts.wallMs },
      { deadlineMs: opts.wallMs + RPC_SLACK_MS, ...(opts.signal ? { signal: opts.signal } : {}) },
    );
    // An unset result reads as the empty one: no exit code, no output, no limit hit.
    return { result: toExecutionResult(response.result ?? create(sandboxV1.ExecuteResponseSchema)), sessionEnded: response.sessionEnded };
  }

  async close(sessionId: string): Promise<void> {
    // Never cancelled by the sample's signal: a cancelled episode must still release its interpreter.
    await this.client.closeSession({ sessionId, team: this.team }, { deadlineMs: RPC_SLACK_MS });
  }
}
