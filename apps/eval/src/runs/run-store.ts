import type { ItemScoreRow } from './compare-runs/run-comparison';
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
  /** itemGroup: the benchmark's group of the item (Benchmark.group), for the summary's per-group breakdown. */
  samples: { itemId: string; itemIndex: number; sampleIndex: number; itemGroup?: string | null }[];
  /** The schedule creating the run, if any. */
  scheduleId?: string;
  /** A re-scoring run's source run. */
  sourceRunId?: string;
  /** The suite run starting the run, if any. */
  suiteRunId?: string;
}

/** Where a sample sits in its run: (item, sample index) is unique per run. */
export interface SamplePosition {
  itemId: string;
  itemIndex: number;
  sampleIndex: number;
  itemGroup: string | null;
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

/** A sample with its stored columns, JSON ones as JSON text passed on unparsed (null when absent): what exports send. */
export interface SampleRow {
  id: string;
  itemId: string;
  itemIndex: number;
  sampleIndex: number;
  status: SampleStatusName;
  attempts: number;
  prompt: string | null;
  completion: string | null;
  score: number | null;
  passed: boolean | null;
  error: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  latencyMs: number | null;
  scoreDetailJson: string | null;
  transcriptJson: string | null;
}

/**
 * A listed sample as ListSamples sends it, in parts (listing-json.sql.ts): the JSON Postgres wrote, around its score
 * and its prompt and completion (as stored, '' when absent).
 */
export interface SampleJsonRow {
  itemIndex: number;
  sampleIndex: number;
  headJson: string;
  score: number | null;
  passedJson: string;
  prompt: string;
  completion: string;
  tailJson: string;
}

/**
 * A listed run as ListRuns sends it, in parts (listing-json.sql.ts): the JSON Postgres wrote, around the stored text of
 * the parts the service maps (config, regression) and the summary (null when it is computed live, from the live* columns).
 */
export interface RunJsonRow {
  id: string;
  createdAt: string;
  headJson: string;
  configJson: string;
  specJson: string;
  summaryJson: string | null;
  tailJson: string;
  regressionJson: string | null;
  liveSpecJson: string | null;
  liveStartedAt: string | null;
  liveFinishedAt: string | null;
}

/** A run named by its id and the team it must belong to. */
export type RunOfTeam = Pick<RunRecord, 'id' | 'teamId'>;

/** What may keep a run from being deleted, read under a lock on the run's row. */
export interface RunDependents {
  run: RunRecord;
  /** The team's schedules whose runs are compared to this one (their fixed baseline), by name. */
  baselineOf: { id: string; name: string }[];
  /** Re-scoring runs of this run still queued or running: their workers read its samples. */
  activeRescores: Pick<RunRecord, 'id' | 'status'>[];
}

/** Optional filters of a run listing, combined with AND. */
export interface RunFilter {
  modelName?: string;
  /** A benchmark name, any version. */
  benchmark?: string;
  status?: RunStatusName;
  scheduleId?: string;
  suiteRunId?: string;
}

/** Persistence of runs, as the use cases and workers need it (implemented over Prisma by the repositories). */
export interface RunStore {
  /** The id of the team with this name, created on first use. */
  ensureTeam(name: string): Promise<string>;
  createWithSamples(run: NewRun): Promise<{ run: RunRecord; sampleIds: string[] }>;
  /**
   * Creates a re-scoring run with its samples unless one of the same source is still queued or running: then creates
   * nothing and returns that one (`inFlight`). Checked under a lock on the source run, so of concurrent requests for
   * one source exactly one creates a run.
   */
  createRescore(run: NewRun & { sourceRunId: string }): Promise<{ run: RunRecord; sampleIds: string[] } | { inFlight: RunRecord }>;
  findForTeam(teamId: string, id: string): Promise<RunRecord | null>;
  findById(id: string): Promise<RunRecord | null>;
  listForTeam(teamId: string, opts: { limit: number; cursor?: string; filter?: RunFilter }): Promise<Page<RunRecord>>;
  /** The same page as listForTeam, as the JSON parts ListRuns sends (RunJsonRow). */
  listJsonForTeam(teamId: string, opts: { limit: number; cursor?: string; filter?: RunFilter }): Promise<Page<RunJsonRow>>;
  listActive(): Promise<RunRecord[]>;
  markRunning(id: string): Promise<void>;
  /** Moves an active run to a final status; false when it was already final (another worker, or cancelled). */
  finish(id: string, status: Exclude<RunStatusName, 'QUEUED' | 'RUNNING'>, summary: unknown, error?: string): Promise<boolean>;
  /** Cancels an active run and its pending samples; false when the run was already final. */
  cancel(id: string): Promise<boolean>;
  /**
   * Puts the errored samples of a finished (succeeded or failed) run back to pending and the run back to running, in
   * one transaction; returns their ids, none when the run has no errored samples or is not finished.
   */
  reopenErrored(id: string): Promise<string[]>;
  /**
   * Deletes a team's run with its samples in one transaction, unless `refuse`, called under a lock on the run's row with
   * what depends on it, throws: then nothing changes and its error is thrown. A suite run the run belongs to keeps the
   * member, with the reason it has no run. Returns the run as it was and how many samples went with it; null when the
   * team has no such run.
   */
  deleteForTeam(run: RunOfTeam, refuse: (dependents: RunDependents) => void): Promise<{ run: RunRecord; deletedSamples: number } | null>;
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
  /** Item id and score of every scored sample (errored ones are not scores). */
  itemScores(runId: string): Promise<ItemScoreRow[]>;
  pendingIds(runId: string): Promise<string[]>;
  /** Scored and errored samples of a run, in (item, sample) order: what a re-scoring run is planned from. */
  finishedPositions(runId: string): Promise<SamplePosition[]>;
  /** The sample at (item, sample index) of a run. */
  findAt(runId: string, itemIndex: number, sampleIndex: number): Promise<SampleView | null>;
  /**
   * A page of a team's run's samples in (item, sample) order, each as the JSON object the REST API lists (written by
   * Postgres); empty when the run is not the team's. `passed` keeps only samples with that verdict (scored ones; false =
   * the failed ones).
   */
  pageJson(run: RunOfTeam, opts: { status?: SampleStatusName; passed?: boolean; limit: number; cursor?: string }): Promise<Page<string>>;
  /** One sample of the run, or null when the run has no sample with this id. */
  findInRun(runId: string, id: string): Promise<SampleView | null>;
}
