/** A metric as the gateway reports it. */
export interface MetricJson {
  name: string;
  value: number;
  ci: [number, number];
  method: string;
  n: number;
}

/** A run as the gateway reports it. */
export interface RunJson {
  id: string;
  model: string;
  benchmark: string;
  benchmarkVersion: string;
  status: string;
  error?: string;
  createdAt?: string;
  summary?: {
    metrics: MetricJson[];
    counts: { total: number; pending: number; scored: number; errored: number; cancelled: number };
    promptTokens: number;
    completionTokens: number;
    elapsedSeconds: number;
    completionTokensPerSecond: number;
  };
}

/** What the CLI sends to create a run. */
export interface CreateRunBody {
  model: string;
  benchmark: string;
  limit?: number;
  samples?: number;
  concurrency?: number;
  temperature?: number;
  maxTokens?: number;
  seed?: number;
  chat?: boolean;
}

/** An error the gateway answered, with its code and the offending field. */
export class GatewayError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** A small client of the gateway's REST API. */
export class GatewayClient {
  constructor(private readonly baseUrl: string) {}

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (err) {
      throw new GatewayError(`cannot reach the Lemur gateway at ${this.baseUrl} (${(err as Error).message}); start it with \`lemur up\``, 0, 'UNREACHABLE');
    }
    const text = await response.text();
    const json = text ? (JSON.parse(text) as unknown) : {};
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string; field?: string; errorId?: string } }).error ?? {};
      const suffix = error.errorId ? ` (errorId ${error.errorId})` : '';
      throw new GatewayError(`${error.message ?? response.statusText}${suffix}`, response.status, error.code ?? 'UNKNOWN', error.field);
    }
    return json as T;
  }

  async createRun(body: CreateRunBody): Promise<RunJson> {
    return (await this.request<{ run: RunJson }>('POST', '/v1/runs', body)).run;
  }

  async getRun(id: string): Promise<RunJson> {
    return (await this.request<{ run: RunJson }>('GET', `/v1/runs/${encodeURIComponent(id)}`)).run;
  }

  async listRuns(limit: number, cursor?: string): Promise<{ runs: RunJson[]; nextCursor: string | null }> {
    const query = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
    return this.request('GET', `/v1/runs?${query.toString()}`);
  }

  async cancelRun(id: string): Promise<RunJson> {
    return (await this.request<{ run: RunJson }>('POST', `/v1/runs/${encodeURIComponent(id)}/cancel`)).run;
  }
}
