/** One run a suite starts: a benchmark, without or with natural-language feedback. */
export interface SuiteMember {
  /** Unique in the suite: the benchmark id, plus `+feedback` for the feedback variant. */
  key: string;
  benchmark: string;
  feedback: boolean;
}

/** An aggregate the paper reports over several members, pooled instance by instance. */
export interface SuiteAxis {
  name: string;
  label: string;
  /** Member keys pooled into the axis. */
  members: readonly string[];
  /** Where the grouping comes from, for readers checking it against the paper. */
  source: string;
}

/** A named list of benchmark ids run together (e.g. the Lemur paper's suite), with its aggregate axes. */
export interface SuiteDefinition {
  name: string;
  description: string;
  /** Benchmark ids, resolved through the registry when the suite is started (an id may not be registered yet). */
  benchmarks: readonly string[];
  /** Members run a second time with the feedback model when one is given. */
  feedbackBenchmarks: readonly string[];
  axes: readonly SuiteAxis[];
}

/** The key of a member: its benchmark id, or `<id>+feedback` for its feedback run. */
export function suiteMemberKey(benchmark: string, feedback: boolean): string {
  return feedback ? `${benchmark}+feedback` : benchmark;
}
