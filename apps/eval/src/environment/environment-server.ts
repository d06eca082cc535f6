import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ENVIRONMENT_ERROR_STATUS,
  EnvironmentErrorCode,
  EnvironmentException,
  parseResetRequest,
  parseStepRequest,
  type EnvironmentInfo,
  type HealthResponse,
  type StepResponse,
} from '@lemur/benchmarks';

/** One running game of a backend. */
export interface EnvironmentGame {
  step(action: string): StepResponse | Promise<StepResponse>;
}

/** What an environment server serves: named tasks, each reset into a fresh game. */
export interface EnvironmentBackend {
  /** Reported by /health, e.g. 'alfworld-recorded'. */
  readonly name: string;
  readonly tasks: number;
  /** Throws EnvironmentException(TASK_NOT_FOUND) for an unknown task. */
  reset(taskId: string): Promise<{ observation: string; info?: EnvironmentInfo; game: EnvironmentGame }> | { observation: string; info?: EnvironmentInfo; game: EnvironmentGame };
}

/** Server limits; a session idle longer than `idleTimeoutMs` is dropped (its runner was lost). */
export interface EnvironmentServerOptions {
  maxSessions?: number;
  idleTimeoutMs?: number;
  stepTimeoutMs?: number;
  /** Largest request body accepted. */
  maxBodyBytes?: number;
  /** Where an unexpected backend failure is reported (the client only sees INTERNAL). */
  onError?: (err: unknown) => void;
}

interface Session {
  game: EnvironmentGame;
  taskId: string;
  lastUsed: number;
  busy: boolean;
}

const DEFAULTS = { maxSessions: 256, idleTimeoutMs: 600_000, stepTimeoutMs: 30_000, maxBodyBytes: 64 * 1024 };

type Limits = typeof DEFAULTS & Pick<EnvironmentServerOptions, 'onError'>;

/**
 * An HTTP server speaking the environment-server protocol (docs/environment-protocol.md) in front of a backend: the
 * recorded ALFWorld games, the tiny household of the tests, or any other game with reset/step.
 */
export class EnvironmentServer {
  private readonly sessions = new Map<string, Session>();
  private readonly server: Server;
  private readonly limits: Limits;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly backend: EnvironmentBackend,
    options: EnvironmentServerOptions = {},
  ) {
    this.limits = { ...DEFAULTS, ...options };
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Listens on host:port (port 0 picks a free one); returns the base URL. */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    this.sweeper = setInterval(() => this.sweep(), Math.min(this.limits.idleTimeoutMs, 30_000));
    this.sweeper.unref();
    const address = this.server.address() as AddressInfo;
    return `http://${host}:${address.port}`;
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sessions.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Keep-alive connections of clients would otherwise hold the close for their idle timeout.
    this.server.closeAllConnections();
    await closed;
  }

  /** Open sessions (for tests and /health). */
  get openSessions(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, s] of this.sessions) if (!s.busy && now - s.lastUsed > this.limits.idleTimeoutMs) this.sessions.delete(id);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://environment');
      const path = url.pathname;
      if (req.method === 'GET' && path === '/health') {
        const body: HealthResponse = { status: 'ok', environment: this.backend.name, tasks: this.backend.tasks };
        return send(res, 200, body);
      }
      if (req.method === 'POST' && path === '/reset') return send(res, 200, await this.reset(await readJson(req, this.limits.maxBodyBytes)));
      if (req.method === 'POST' && path === '/step') return send(res, 200, await this.step(await readJson(req, this.limits.maxBodyBytes)));
      const session = /^\/sessions\/([^/]+)$/.exec(path);
      if (req.method === 'DELETE' && session !== null) {
        const id = decodeURIComponent(session[1]!);
        if (!this.sessions.delete(id)) throw notFound(id);
        res.writeHead(204).end();
        return;
      }
      throw new EnvironmentException(EnvironmentErrorCode.BAD_REQUEST, `no route ${req.method} ${path}; the protocol has POST /reset, POST /step, DELETE /sessions/:id, GET /health`);
    } catch (err) {
      const e = err instanceof EnvironmentException ? err : new EnvironmentException(EnvironmentErrorCode.INTERNAL, 'the environment failed; see the server log', { cause: err });
      if (e.code === EnvironmentErrorCode.INTERNAL) this.limits.onError?.(err);
      send(res, ENVIRONMENT_ERROR_STATUS[e.code], { error: { code: e.code, message: e.message } });
    }
  }

  private async reset(body: unknown): Promise<{ session: string; observation: string; info: EnvironmentInfo }> {
    const { task_id: taskId } = parseResetRequest(body);
    this.sweep();
    if (this.sessions.size >= this.limits.maxSessions) {
      throw new EnvironmentException(EnvironmentErrorCode.TOO_MANY_SESSIONS, `${this.sessions.size} sessions are open (at most ${this.limits.maxSessions}); close finished ones with DELETE /sessions/:id`);
    }
    const { observation, info, game } = await this.backend.reset(taskId);
    const session = randomUUID();
    this.sessions.set(session, { game, taskId, lastUsed: Date.now(), busy: false });
    return { session, observation, info: info ?? {} };
  }

  private async step(body: unknown): Promise<StepResponse> {
    const { session, action } = parseStepRequest(body);
    const s = this.sessions.get(session);
    if (s === undefined) throw notFound(session);
    if (s.busy) throw new EnvironmentException(EnvironmentErrorCode.BAD_REQUEST, `session ${session} is already running a step; send one step at a time`);
    s.busy = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new EnvironmentException(EnvironmentErrorCode.STEP_TIMEOUT, `the step "${action.slice(0, 80)}" took longer than ${this.limits.stepTimeoutMs} ms`)),
          this.limits.stepTimeoutMs,
        );
      });
      return await Promise.race([Promise.resolve().then(() => s.game.step(action)), timeout]);
    } finally {
      clearTimeout(timer);
      s.busy = false;
      s.lastUsed = Date.now();
    }
  }
}

function notFound(session: string): EnvironmentException {
  return new EnvironmentException(EnvironmentErrorCode.SESSION_NOT_FOUND, `no session ${session}: it was closed or expired; start a new one with POST /reset`);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

async function readJson(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new EnvironmentException(EnvironmentErrorCode.BAD_REQUEST, `the request body is larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new EnvironmentException(EnvironmentErrorCode.BAD_REQUEST, 'the request body is not JSON');
  }
}
