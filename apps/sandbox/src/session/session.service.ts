import { randomBytes } from 'node:crypto';
import {
  resolveIdleTimeoutMs,
  type SandboxFile,
  type SandboxLanguage,
  type SandboxLimits,
  type SandboxSessionPolicy,
  workspacePathSegments,
} from '@lemur/sandbox-policy';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import type { SandboxMetrics } from '../execute/sandbox.metrics';
import type { SandboxSession, SessionBackend, SessionCellResult, SessionFile } from './sandbox-session';
import type { SessionPool } from './session-pool';
import type { SessionMetrics } from './session.metrics';

/** What CreateSession asks for, already decoded from the wire. */
export interface CreateSessionCommand {
  language: SandboxLanguage;
  team: string;
  files: readonly SessionFile[];
  limits: Partial<SandboxLimits>;
  /** 0 = operator default. */
  idleTimeoutMs: number;
}

type CloseReason = 'closed' | 'idle' | 'ended' | 'shutdown' | 'cancelled';

/**
 * How long a cell whose caller gave up may take to come back before its session is closed (which kills the cell): the
 * grace the local backend gives an interrupted cell before it kills the interpreter.
 */
export const CANCELLED_CELL_GRACE_MS = 2_000;

interface OpenSession {
  id: string;
  team: string;
  session: SandboxSession;
  limits: SandboxLimits;
  idleMs: number;
  idleTimer: NodeJS.Timeout | undefined;
  /** Operations on one session run one after another. */
  queue: Promise<unknown>;
  closing: Promise<void> | null;
}

/**
 * Owns the open sessions: ids, team scoping, the per-team cap, idle timeouts, and the order of operations on each.
 * A session of another team is reported exactly like a missing one, so ids leak nothing across teams.
 */
export class SessionService {
  private readonly sessions = new Map<string, OpenSession>();
  private readonly perTeam = new Map<string, number>();
  private shuttingDown = false;

  constructor(
    private readonly backend: SessionBackend,
    private readonly pool: SessionPool,
    private readonly policy: SandboxSessionPolicy,
    private readonly metrics: SessionMetrics,
    private readonly runMetrics: SandboxMetrics,
    private readonly logger: Logger,
  ) {}

  async create(cmd: CreateSessionCommand): Promise<{ sessionId: string; backend: string }> {
    const limits = this.backend.resolveLimits(cmd.limits);
    const idleMs = resolveIdleTimeoutMs(cmd.idleTimeoutMs, this.policy);
    const team = cmd.team;
    const count = this.perTeam.get(team) ?? 0;
    if (count >= this.policy.maxSessionsPerTeam) {
      throw new PlatformError(
        PlatformErrorCode.RESOURCE_EXHAUSTED,
        `team ${team || '(none)'} already has ${count} open sessions, the most allowed; close one with CloseSession or let idle ones expire`,
      );
    }
    // Counted before the interpreter starts, so concurrent creates cannot overshoot the cap.
    this.perTeam.set(team, count + 1);
    let session: SandboxSession | null = null;
    try {
      const started = performance.now();
      session = this.pool.take(cmd.language, limits);
      const source = session !== null ? 'pool' : 'cold';
      session ??= await this.backend.startSession({ language: cmd.language, limits });
      this.metrics.startWait.observe({ language: cmd.language, source }, (performance.now() - started) / 1000);
      if (cmd.files.length > 0) await session.writeFiles(cmd.files);
    } catch (err) {
      this.decrementTeam(team);
      if (session !== null) await session.close();
      throw err;
    }
    const id = `ses_${randomBytes(24).toString('base64url')}`;
    const entry: OpenSession = { id, team, session, limits, idleMs, idleTimer: undefined, queue: Promise.resolve(), closing: null };
    this.sessions.set(id, entry);
    this.metrics.open.inc({ language: session.language });
    session.onEnded(() => {
      // Let the operation that saw the end report it first, then free the slot.
      void entry.queue.then(() => this.drop(entry, 'ended'));
    });
    this.armIdle(entry);
    this.logger.info({ sessionId: id, team, language: cmd.language, idleMs }, 'session opened');
    return { sessionId: id, backend: this.backend.name };
  }

  /**
   * Runs a cell. Aborting `req.signal` (the caller gave up) stops the cell: the backend is asked to interrupt it, and a
   * cell still running CANCELLED_CELL_GRACE_MS later ends with its session. A cell whose caller gave up while it waited
   * behind another operation never starts (CANCELLED). Either way it is counted as a cancelled cell.
   */
  runCell(
    id: string,
    team: string,
    req: { code: string; wallMs: number; readFiles: readonly string[]; signal?: AbortSignal },
  ): Promise<SessionCellResult> {
    const entry = this.find(id, team);
    const wallMs = req.wallMs === 0 ? entry.limits.wallMs : this.checkWall(req.wallMs);
    // A bad path is the caller's error: refuse it before the cell runs rather than lose the cell's result.
    for (const p of req.readFiles) workspacePathSegments(p, 'read_files');
    const signal = req.signal;
    return this.serialise(entry, async () => {
      const labels = { language: entry.session.language, backend: this.backend.name, mode: 'cell' } as const;
      if (signal?.aborted) {
        this.runMetrics.runs.inc({ ...labels, outcome: 'cancelled' });
        throw new PlatformError(PlatformErrorCode.CANCELLED, 'the caller gave up before the cell started');
      }
      let grace: NodeJS.Timeout | undefined;
      const onAbort = () => {
        grace = setTimeout(() => {
          this.logger.warn({ sessionId: entry.id, team: entry.team, graceMs: CANCELLED_CELL_GRACE_MS }, 'cell still running after its caller gave up; closing its session');
          void this.drop(entry, 'cancelled');
        }, CANCELLED_CELL_GRACE_MS);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const result = await entry.session.runCell({
          code: req.code,
          wallMs,
          cpuMs: entry.limits.cpuMs,
          outputBytes: entry.limits.outputBytes,
          readFiles: req.readFiles,
          ...(signal ? { signal } : {}),
        });
        // A cell stopped because its caller gave up is counted as cancelled, not as the limit it was ended by.
        this.runMetrics.record(labels, result, signal?.aborted ? 'cancelled' : undefined);
        return result;
      } finally {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(grace);
      }
    });
  }

  writeFiles(id: string, team: string, files: readonly SessionFile[]): Promise<void> {
    const entry = this.find(id, team);
    return this.serialise(entry, () => entry.session.writeFiles(files));
  }

  readFiles(id: string, team: string, paths: readonly string[]): Promise<SandboxFile[]> {
    const entry = this.find(id, team);
    return this.serialise(entry, () => entry.session.readFiles(paths));
  }

  async close(id: string, team: string): Promise<void> {
    await this.drop(this.find(id, team), 'closed');
  }

  /** Sessions open now (for tests and health). */
  openCount(team?: string): number {
    return team === undefined ? this.sessions.size : (this.perTeam.get(team) ?? 0);
  }

  /** Closes every session and the pool (service shutdown). */
  async dispose(): Promise<void> {
    this.shuttingDown = true;
    await Promise.all([...this.sessions.values()].map((e) => this.drop(e, 'shutdown')));
    await this.pool.dispose();
  }

  private find(id: string, team: string): OpenSession {
    const entry = this.sessions.get(id);
    if (entry === undefined || entry.team !== team || entry.closing !== null) {
      throw new PlatformError(PlatformErrorCode.SESSION_NOT_FOUND, 'session not found (closed, expired, or never opened for this team); open one with CreateSession', {
        field: 'session_id',
      });
    }
    return entry;
  }

  private checkWall(wallMs: number): number {
    try {
      return this.backend.resolveLimits({ wallMs }).wallMs;
    } catch (err) {
      if (err instanceof PlatformError) throw PlatformError.invalid('wall_ms', err.message.replace(/^limits\.wallMs: /, ''));
      throw err;
    }
  }

  private serialise<T>(entry: OpenSession, op: () => Promise<T>): Promise<T> {
    clearTimeout(entry.idleTimer);
    const run = entry.queue.then(async () => {
      if (entry.closing !== null || entry.session.ended) {
        throw new PlatformError(PlatformErrorCode.SESSION_NOT_FOUND, 'session ended; open a new one with CreateSession', { field: 'session_id' });
      }
      return op();
    });
    entry.queue = run.then(
      () => this.armIdle(entry),
      () => this.armIdle(entry),
    );
    return run;
  }

  private armIdle(entry: OpenSession): void {
    clearTimeout(entry.idleTimer);
    if (entry.closing !== null || this.shuttingDown) return;
    entry.idleTimer = setTimeout(() => {
      this.logger.info({ sessionId: entry.id, team: entry.team, idleMs: entry.idleMs }, 'session idle too long; closing');
      void this.drop(entry, 'idle');
    }, entry.idleMs);
    entry.idleTimer.unref();
  }

  private drop(entry: OpenSession, reason: CloseReason): Promise<void> {
    if (entry.closing !== null) return entry.closing;
    clearTimeout(entry.idleTimer);
    entry.closing = (async () => {
      this.sessions.delete(entry.id);
      this.decrementTeam(entry.team);
      this.metrics.open.dec({ language: entry.session.language });
      this.metrics.closed.inc({ language: entry.session.language, reason });
      try {
        await entry.session.close();
      } catch (err) {
        this.logger.error({ err, sessionId: entry.id }, 'cannot clean up a closed session');
      }
    })();
    return entry.closing;
  }

  private decrementTeam(team: string): void {
    const n = (this.perTeam.get(team) ?? 1) - 1;
    if (n <= 0) this.perTeam.delete(team);
    else this.perTeam.set(team, n);
  }
}
