import {
  EnvironmentErrorCode,
  EnvironmentException,
  parseErrorBody,
  parseResetResponse,
  parseStepResponse,
  type ResetResponse,
  type StepResponse,
} from '@lemur/benchmarks';

/** An environment server as an episode needs it (docs/environment-protocol.md); the real one speaks HTTP. */
export interface AgentEnvironment {
  /** Recorded with each sample, so a run says which environment it was measured against. */
  readonly endpoint: string;
  reset(taskId: string, signal?: AbortSignal): Promise<ResetResponse>;
  step(session: string, action: string, signal?: AbortSignal): Promise<StepResponse>;
  close(session: string): Promise<void>;
}

/** Client deadlines: a reset may load a game (ALFWorld takes seconds); a step is one command. */
export interface EnvironmentClientOptions {
  resetTimeoutMs?: number;
  stepTimeoutMs?: number;
}

const DEFAULT_RESET_TIMEOUT_MS = 60_000;
const DEFAULT_STEP_TIMEOUT_MS = 30_000;

/** The environment-server protocol over HTTP JSON; every failure is an EnvironmentException with the server's code. */
export class HttpEnvironmentClient implements AgentEnvironment {
  readonly endpoint: string;

  constructor(
    endpoint: string,
    private readonly options: EnvironmentClientOptions = {},
  ) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new EnvironmentException(EnvironmentErrorCode.BAD_REQUEST, `environment server URL "${endpoint}" is not a URL; use e.g. http://127.0.0.1:8300`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new EnvironmentException(EnvironmentErrorCode.BAD_REQUEST, `environment server URL "${endpoint}" must be http(s)`);
    }
    this.endpoint = url.toString().replace(/\/$/, '');
  }

  async reset(taskId: string, signal?: AbortSignal): Promise<ResetResponse> {
    return parseResetResponse(await this.call('POST', '/reset', { task_id: taskId }, this.options.resetTimeoutMs ?? DEFAULT_RESET_TIMEOUT_MS, signal));
  }

  async step(session: string, action: string, signal?: AbortSignal): Promise<StepResponse> {
    return parseStepResponse(await this.call('POST', '/step', { session, action }, this.options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS, signal));
  }

  async close(session: string): Promise<void> {
    try {
      await this.call('DELETE', `/sessions/${encodeURIComponent(session)}`, undefined, this.options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS);
    } catch (err) {
      // Already gone (expired, or the server restarted) is what closing wanted.
      if (!(err instanceof EnvironmentException && err.code === EnvironmentErrorCode.SESSION_NOT_FOUND)) throw err;
    }
  }

  private async call(method: string, path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const combined = signal === undefined ? deadline : AbortSignal.any([deadline, signal]);
    let response: Response;
    try {
      response = await fetch(`${this.endpoint}${path}`, {
        method,
        signal: combined,
        ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
    } catch (err) {
      const why = deadline.aborted ? `no answer within ${timeoutMs} ms` : signal?.aborted ? 'the request was cancelled' : 'the connection failed';
      throw new EnvironmentException(EnvironmentErrorCode.UNAVAILABLE, `environment server ${this.endpoint}: ${method} ${path}: ${why}; check that it is running`, { cause: err });
    }
    if (response.status === 204) return undefined;
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw parseErrorBody(response.status, parsed);
    if (parsed === undefined) throw new EnvironmentException(EnvironmentErrorCode.UNAVAILABLE, `environment server ${this.endpoint}: ${method} ${path} answered without a JSON body`);
    return parsed;
  }
}
