/** The sampling a run uses, resolved from the benchmark's defaults and the request's overrides. */
export interface ResolvedSampling {
  maxTokens: number;
  temperature: number;
  topP: number;
  stop: string[];
  seed?: number;
}

/** What a run stores to be re-created exactly. */
export interface RunSpec {
  benchmarkRef: string;
  datasetFile: string;
  datasetSha256: string;
  datasetSource: string;
  promptTemplateHash: string;
  metric: 'pass@k' | 'accuracy';
  sampling: ResolvedSampling;
  platformVersion: string;
  items: number;
}

/** The request-level settings of a run. */
export interface RunConfigData {
  limit: number;
  samplesPerItem: number;
  concurrency: number;
  chat: boolean;
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  seed?: number;
}

export type RunStatusName = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type SampleStatusName = 'PENDING' | 'SCORED' | 'ERRORED' | 'CANCELLED';

/** A run as the eval service works with it (repositories convert from the database row). */
export interface RunRecord {
  id: string;
  teamId: string;
  modelName: string;
  benchmark: string;
  benchmarkVersion: string;
  status: RunStatusName;
  config: RunConfigData;
  spec: RunSpec;
  totalSamples: number;
  summary: unknown;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

export interface SampleRecord {
  id: string;
  runId: string;
  itemId: string;
  itemIndex: number;
  sampleIndex: number;
  status: SampleStatusName;
  attempts: number;
}

/** The final state of a sample: scored, or errored with a reason (then score is null, never a silent 0). */
export interface SampleResult {
  status: 'SCORED' | 'ERRORED';
  prompt: string | null;
  completion: string | null;
  score: number | null;
  passed: boolean | null;
  scoreDetail: Record<string, unknown> | null;
  transcript: Record<string, unknown>[] | null;
  promptTokens: number | null;
  completionTokens: number | null;
  latencyMs: number;
  error: string | null;
}
