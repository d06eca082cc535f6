import type { ExecResult, SandboxFile, SandboxLanguage, SandboxLimits } from '@lemur/sandbox-policy';

/** A file placed into a session's workspace. */
export interface SessionFile {
  path: string;
  content: string | Uint8Array;
}

/** One cell to run in a session. */
export interface SessionCellRequest {
  code: string;
  wallMs: number;
  /** CPU time of the cell's processes, all together. */
  cpuMs: number;
  outputBytes: number;
  readFiles?: readonly string[];
  /**
   * Aborted when the cell's caller gave up (its deadline passed or it cancelled). A backend that watches it stops the
   * cell as its wall-time limit would (interrupt, then kill); SessionService closes the session of one that has not
   * come back within a grace period after the abort.
   */
  signal?: AbortSignal;
}

/** What a cell produced; `sessionEnded` when the interpreter is gone afterwards. */
export interface SessionCellResult extends ExecResult {
  files: SandboxFile[];
  sessionEnded: boolean;
}

/**
 * A persistent interpreter in a sandbox. Backend-neutral: the local bubblewrap backend implements it, and a pod-based
 * backend can too. Calls are serialised by the caller (SessionService): one cell or file operation at a time.
 */
export interface SandboxSession {
  readonly language: SandboxLanguage;
  /** Session-wide limits it was started with (memory, processes, files, workspace). */
  readonly limits: SandboxLimits;
  /** True once the interpreter has exited or been killed. */
  readonly ended: boolean;
  /** Called once when the interpreter ends for any reason (a limit, `exit`, close). */
  onEnded(listener: () => void): void;
  runCell(req: SessionCellRequest): Promise<SessionCellResult>;
  writeFiles(files: readonly SessionFile[]): Promise<void>;
  readFiles(paths: readonly string[]): Promise<SandboxFile[]>;
  /** Kills every process of the session and deletes its workspace. */
  close(): Promise<void>;
}

/** A backend that can start sessions. */
export interface SessionBackend {
  readonly name: string;
  /** Fills defaults and rejects values above the operator maxima (INVALID_ARGUMENT naming the limit). */
  resolveLimits(requested?: Partial<SandboxLimits>): SandboxLimits;
  /** Starts an interpreter and returns once it has answered a first (empty) cell. */
  startSession(spec: { language: SandboxLanguage; limits: SandboxLimits }): Promise<SandboxSession>;
}
