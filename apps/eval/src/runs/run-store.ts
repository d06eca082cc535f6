import type { ScoredSampleRow, RunSummaryData } from './run-summary';
import type { RunConfigData, RunRecord, RunSpec, RunStatusName, SampleRecord, SampleResult, SampleStatusName } from './run.types';

export type SampleCounts = RunSummaryData['counts'];

/** A run to create, with all its samples (stored together or not at all). */
export interface NewRun {
  teamId: string;
  modelName: string;
  benchmark: string;
  benchmarkVersion: string;
  config: RunConfigData;
  spec: RunSpec;
  samples: { itemId: string; itemIndex: number; sampleIndex: number }[];
}

/** A page of a keyset-paginated listing. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A sample with everything stored about it, for listings and transcripts. */
export interface SampleView extends SampleRecord {
  prompt: string | null;
  completion: string | null;
  score: number | null;
  passed: boolean | null;
  scoreDetail: unknown;
  transcript: unknown;
  error: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  latencyMs: number | null;
}

/** Persistence of runs, as the use cases and workers need it (implemented over Prisma by the repositories). */
export interface RunStore {
  /** The id of the team with this name, created on first use. */
  ensureTeam(name: string): Promise<string>;
  createWithSamples(run: NewRun): Promise<{ run: RunRecord; sampleIds: string[] }>;
  findForTeam(teamId: string, id: string): Promise<RunRecord | null>;
  findById(id: string): Promise<RunRecord | null>;
  listForTeam(teamId: string, opts: { limit: number; cursor?: string }): Promise<Page<RunRecord>>;
  listActive(): Promise<RunRecord[]>;
  markRunning(id: string): Promise<void>;
  /** Moves an active run to a final status; false when it was already final (another worker, or cancelled). */
  finish(id: string, status: Exclude<RunStatusName, 'QUEUED' | 'RUNNING'>, summary: unknown, error?: string): Promise<boolean>;
  /** Cancels an active run and its pending samples; false when the run was already final. */
  cancel(id: string): Promise<boolean>;
}

export interface SampleStore {
  /** Counts an attempt on a pending sample and returns it; null when it is no longer pending (scored, cancelled). */
  claim(id: string): Promise<SampleRecord | null>;
  /** Whether any sample of the run is still pending (a cheap index probe). */
  hasPending(runId: string): Promise<boolean>;
  /** Stores the final result only while the sample is pending; true when this call won (exactly-once scoring). */
  recordResult(id: string, result: SampleResult): Promise<boolean>;
  countsByStatus(runId: string): Promise<SampleCounts>;
  scoredRows(runId: string): Promise<ScoredSampleRow[]>;
  pendingIds(runId: string): Promise<string[]>;
  page(runId: string, opts: { status?: SampleStatusName; limit: number; cursor?: string }): Promise<Page<SampleView>>;
}
