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
    /** Per group of items where the benchmark has groups (Spider's hardness, MMLU's subject, BBH's task). */
    groups?: { name: string; metrics: MetricJson[] }[];
    counts: { total: number; pending: number; scored: number; errored: number; cancelled: number };
    promptTokens: number;
    completionTokens: number;
    elapsedSeconds: number;
    completionTokensPerSecond: number;
  };
  scheduleId?: string | null;
  regression?: RegressionJson | null;
  /** Re-scoring runs: the run whose stored outputs this one scored again. */
  sourceRunId?: string | null;
  suiteRunId?: string | null;
}

/** A scheduled run's comparison to its baseline (the gateway's regression object). */
export interface RegressionJson {
  baselineRunId: string | null;
  regressed: boolean;
  delta: number;
  ci: [number, number];
  pValue: number;
  significant: boolean;
  comparable: boolean;
  regressedItems: number;
  note: string;
  checkedAt: string | null;
}

/** A schedule of regression runs as the gateway reports it. */
export interface ScheduleJson {
  id: string;
  name: string;
  cron: string;
  timezone: string;
  model: string;
  benchmarks: string[];
  config: { limit: number; samples: number; concurrency: number; chat: boolean; temperature?: number; maxTokens?: number; seed?: number };
  baseline: string;
  enabled: boolean;
  webhookUrl: string | null;
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  /** Why the runs of the due tick are held back (a team quota) until nextRunAt; absent from gateways before it. */
  lastSkipReason?: string | null;
  createdAt: string | null;
}

/** What the CLI sends to create a schedule. */
export interface CreateScheduleBody {
  name: string;
  cron: string;
  timezone?: string;
  model: string;
  benchmarks: string[];
  baseline?: string;
  enabled?: boolean;
  webhookUrl?: string;
  limit?: number;
  samples?: number;
  temperature?: number;
  maxTokens?: number;
  seed?: number;
  chat?: boolean;
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
  feedbackModel?: string;
}

const SUITE_START_TIMEOUT_MS = 15 * 60_000;

/** What the CLI sends to start a suite (POST /v1/suites). */
export type CreateSuiteBody = Omit<CreateRunBody, 'benchmark'> & { suite: string };

/** A suite run as the gateway reports it: members in order with their runs, and the aggregate axes. */
export interface SuiteRunJson {
  id: string;
  suite: string;
  model: string;
  feedbackModel: string | null;
  limit: number;
  members: { key: string; benchmark: string; feedback: boolean; state: 'started' | 'skipped' | 'unavailable' | 'unspecified'; reason: string | null; run: RunJson | null }[];
  axes: { name: string; label: string; value: number | null; n: number; members: string[]; missing: string[] }[];
  createdAt: string | null;
}

/** GET /v1/compare's comparison (the gateway's ComparisonJson). */
export interface ComparisonJson {
  a: string;
  b: string;
  benchmark: string;
  metric: string;
  sharedItems: number;
  onlyInA: number;
  onlyInB: number;
  meanA: number;
  meanB: number;
  delta: number;
  ci: [number, number];
  confidence: number;
  bootstrapPValue: number;
  mcnemar: { improved: number; regressed: number; pValue: number } | null;
  significant: boolean;
  improved: { count: number; items: string[] };
  regressed: { count: number; items: string[] };
  differences: { field: string; a: string; b: string; breaksComparability: boolean }[];
  comparable: boolean;
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

/** An API key as the gateway lists it (never its secret). */
/** A team member (GET /v1/members). */
export interface MemberJson {
  id: string;
  email: string;
  role: 'viewer' | 'runner' | 'admin';
  createdAt: string;
}

export interface ApiKeyJson {
  id: string;
  name: string;
  role: 'viewer' | 'runner' | 'admin';
  memberId: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** A small client of the gateway's REST API, sending `Authorization: Bearer <apiKey>` when it has a key. */
/** The runs list's filters (the REST API's query parameters), combined with AND. */
export interface RunFilter {
  model?: string;
  benchmark?: string;
  status?: string;
  schedule?: string;
  suite?: string;
}

export class GatewayClient {
  constructor(
    private readonly baseUrl: string,
    private readonly apiKey?: string,
  ) {}

  private async request<T>(method: string, path: string, body?: unknown, timeoutMs = 120_000): Promise<T> {
    const response = await this.send(method, path, body, AbortSignal.timeout(timeoutMs));
    const text = await response.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Sends a request; a non-2xx answer becomes a GatewayError with the gateway's code and message. */
  private async send(method: string, path: string, body: unknown, signal: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
      });
    } catch (err) {
      throw new GatewayError(`cannot reach the Lemur gateway at ${this.baseUrl} (${(err as Error).message}); start it with \`lemur up\``, 0, 'UNREACHABLE');
    }
    if (!response.ok) {
      const text = await response.text();
      let json: unknown = {};
      try {
        json = text ? (JSON.parse(text) as unknown) : {};
      } catch {
        json = {};
      }
      const error = (json as { error?: { code?: string; message?: string; field?: string; errorId?: string } }).error ?? {};
      const suffix = error.errorId
        ? ` (errorId ${error.errorId})`
        : response.status === 401 && !this.apiKey
          ? ' (no key was sent: set LEMUR_API_KEY or run `lemur login`)'
          : '';
      throw new GatewayError(`${error.message ?? response.statusText}${suffix}`, response.status, error.code ?? 'UNKNOWN', error.field);
    }
    return response;
  }

  /** The body of a run's export (JSON lines or CSV) as a byte stream, read as it arrives. */
  async exportRun(id: string, format: 'jsonl' | 'csv', signal?: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const response = await this.send('GET', `/v1/runs/${encodeURIComponent(id)}/export?format=${format}`, undefined, signal ?? new AbortController().signal);
    if (!response.body) throw new GatewayError('the gateway sent an empty export', response.status, 'INTERNAL');
    return response.body;
  }

  /** The schedule and its webhook's signing secret (null without a webhook), which no later call returns. */
  async createSchedule(body: CreateScheduleBody): Promise<{ schedule: ScheduleJson; webhookSecret: string | null }> {
    return this.request<{ schedule: ScheduleJson; webhookSecret: string | null }>('POST', '/v1/schedules', body);
  }

  async listSchedules(): Promise<ScheduleJson[]> {
    return (await this.request<{ schedules: ScheduleJson[] }>('GET', '/v1/schedules')).schedules;
  }

  async deleteSchedule(id: string): Promise<ScheduleJson> {
    return (await this.request<{ schedule: ScheduleJson }>('DELETE', `/v1/schedules/${encodeURIComponent(id)}`)).schedule;
  }

  async createRun(body: CreateRunBody): Promise<RunJson> {
    return (await this.request<{ run: RunJson }>('POST', '/v1/runs', body)).run;
  }

  async createSuite(body: CreateSuiteBody): Promise<SuiteRunJson> {
    // Starting a suite loads every member's dataset and stores all its samples: minutes for the full paper suite.
    return (await this.request<{ suiteRun: SuiteRunJson }>('POST', '/v1/suites', body, SUITE_START_TIMEOUT_MS)).suiteRun;
  }

  async getSuite(id: string): Promise<SuiteRunJson> {
    return (await this.request<{ suiteRun: SuiteRunJson }>('GET', `/v1/suites/${encodeURIComponent(id)}`)).suiteRun;
  }

  async getRun(id: string): Promise<RunJson> {
    return (await this.request<{ run: RunJson }>('GET', `/v1/runs/${encodeURIComponent(id)}`)).run;
  }

  async listRuns(limit: number, cursor?: string, filter: RunFilter = {}): Promise<{ runs: RunJson[]; nextCursor: string | null }> {
    const given = Object.entries(filter).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '');
    const query = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}), ...Object.fromEntries(given) });
    return this.request('GET', `/v1/runs?${query.toString()}`);
  }

  async compare(a: string, b: string): Promise<ComparisonJson> {
    const query = new URLSearchParams({ a, b });
    return (await this.request<{ comparison: ComparisonJson }>('GET', `/v1/compare?${query.toString()}`)).comparison;
  }

  async createKey(body: { name: string; role?: string; expiresInDays?: number; memberId?: string }): Promise<{ key: ApiKeyJson; secret: string }> {
    return this.request('POST', '/v1/keys', body);
  }

  async addMember(body: { email: string; role: string }): Promise<MemberJson> {
    return (await this.request<{ member: MemberJson }>('POST', '/v1/members', body)).member;
  }

  async listMembers(): Promise<MemberJson[]> {
    return (await this.request<{ members: MemberJson[] }>('GET', '/v1/members')).members;
  }

  /** Removes a member; every key it held is revoked with it. */
  async removeMember(id: string): Promise<{ member: MemberJson; revokedKeys: string[] }> {
    return this.request('DELETE', `/v1/members/${encodeURIComponent(id)}`);
  }

  async listKeys(): Promise<ApiKeyJson[]> {
    return (await this.request<{ keys: ApiKeyJson[] }>('GET', '/v1/keys')).keys;
  }

  async revokeKey(id: string): Promise<ApiKeyJson> {
    return (await this.request<{ key: ApiKeyJson }>('DELETE', `/v1/keys/${encodeURIComponent(id)}`)).key;
  }

  /** Starts a run that re-scores run `id`'s stored outputs with the current scorer (no model calls). */
  async rescoreRun(id: string): Promise<RunJson> {
    return (await this.request<{ run: RunJson }>('POST', `/v1/runs/${encodeURIComponent(id)}/rescore`)).run;
  }

  /** Puts a finished run's errored samples back to pending; scored ones are untouched. */
  async retryErrors(id: string): Promise<{ run: RunJson; retried: number }> {
    return this.request('POST', `/v1/runs/${encodeURIComponent(id)}/retry-errors`);
  }

  async cancelRun(id: string): Promise<RunJson> {
    return (await this.request<{ run: RunJson }>('POST', `/v1/runs/${encodeURIComponent(id)}/cancel`)).run;
  }

  /** Deletes a finished or cancelled run with its samples (an admin key); the gateway answers 204, nothing to return. */
  async deleteRun(id: string): Promise<void> {
    await this.request<unknown>('DELETE', `/v1/runs/${encodeURIComponent(id)}`);
  }
}
