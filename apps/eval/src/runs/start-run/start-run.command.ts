/** A request to evaluate a model on a benchmark, as received (validated by the use case). */
export interface StartRunCommand {
  team: string;
  model: string;
  benchmark: string;
  limit: number;
  samplesPerItem: number;
  concurrency: number;
  chat: boolean;
  temperature?: number;
  maxTokens?: number;
  topP?: number;
  seed?: number;
  /** Agent benchmarks only: the model that writes expert feedback each turn. */
  feedbackModel?: string;
  /** Set by the run scheduler: the schedule this run belongs to. */
  scheduleId?: string;
  /** Set by StartSuiteUseCase: the suite run this run belongs to. */
  suiteRunId?: string;
}
