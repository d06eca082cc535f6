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
  /**
   * The weights revision the inference service reported for the model when the run started; '' when the model is
   * registered without one (then the model name alone identifies it). Absent on runs started before it was recorded.
   */
  modelRevision?: string;
  items: number;
  /** Agent benchmarks: the protocol, its scoring rules and budget, and the feedback model if any. */
  agent?: {
    protocol: string;
    scoringRules: string;
    maxSteps: number;
    maxProposeSolution: number;
    cellTimeoutMs: number;
    tools: string[];
    /** The tool provider that defines `tools` in each session (e.g. 'offline-stub'): another changes what the model observes. */
    toolProvider?: string;
    feedbackModel?: string;
    /** Benchmarks whose tools act on an environment server: the server and the tool functions it backs. */
    environment?: { endpoint: string; tools: string[] };
  };
  /** Benchmarks with a likelihood protocol (MMLU): log-probabilities or generation. */
  choiceScoring?: ChoiceScoringSpec;
  /** Re-scoring runs: the run whose stored outputs are scored again, and the scorers then and now. */
  rescore?: RescoreSpec;
}

/** What a re-scoring run records: no model is called, the source run's outputs are judged by `scorerRef`. */
export interface RescoreSpec {
  sourceRunId: string;
  /** The benchmark (and so the scorer) that scored the source run, e.g. 'gsm8k@1.0.0'. */
  sourceBenchmarkRef: string;
  /** The benchmark whose scorer scores this run: the current version of the source's benchmark. */
  scorerRef: string;
  /** Agent benchmarks: the scoring rules then and now (e.g. MINT's 'published'). */
  sourceScoringRules?: string;
  scoringRules?: string;
}

/**
 * How a benchmark the harness scores by likelihood (MMLU) chooses its answers in this run: the first token's top
 * log-probabilities (a sample whose endpoint refuses or omits them falls back to generation and says so), or generation
 * from the start, and why.
 */
export type ChoiceScoringSpec =
  | { method: 'logprobs'; protocol: string; topLogprobs: number; maxTokens: number; fallback: 'generation' }
  | { method: 'generation'; reason: string };

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
  /** Agent benchmarks: a registered model that writes expert feedback each turn (MINT's no_GT textual feedback). */
  feedbackModel?: string;
}

export type RunStatusName = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export type SampleStatusName = 'PENDING' | 'SCORED' | 'ERRORED' | 'CANCELLED';

/** A run as the eval service works with it (repositories convert from the database row). */
export interface RunRecord {
  id: string;
  teamId: string;
  /** The team's name: loaded with the runs a worker serves (RunStore.listActive), whose calls carry it as their team. */
  teamName?: string;
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
  /** The schedule that created the run (null for runs started by hand). */
  scheduleId: string | null;
  /** A finished scheduled run's comparison to its baseline (null until checked, and for unscheduled runs). */
  regression: RegressionCheckData | null;
  /** A re-scoring run's source run (null for runs that called a model). */
  sourceRunId: string | null;
  /** The suite run that started the run (null for runs started alone). */
  suiteRunId: string | null;
}

/** A finished scheduled run compared to its schedule's baseline; `regressed` = significantly worse and comparable. */
export interface RegressionCheckData {
  baselineRunId: string | null;
  regressed: boolean;
  delta: number;
  ci: [number, number];
  pValue: number;
  significant: boolean;
  comparable: boolean;
  regressedItems: number;
  /** Why no comparison was made, when none was (no baseline yet, baseline missing). */
  note: string;
  checkedAt: string;
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
