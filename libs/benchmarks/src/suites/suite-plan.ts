import { type Benchmark, benchmarkRef } from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { getBenchmark } from '../registry';
import { type SuiteDefinition, type SuiteMember, suiteMemberKey } from './suite';

/** A member resolved against the registry: `planned` to start, or `unavailable` because the id is not registered. */
export type SuitePlanEntry =
  | (SuiteMember & { status: 'planned'; ref: string })
  | (SuiteMember & { status: 'unavailable'; reason: string });

/** Looks a benchmark id up; undefined when it is not registered in this version. */
export type BenchmarkLookup = (id: string) => Benchmark | undefined;

/** The registry's lookup: unknown ids are undefined, any other failure is thrown. */
export const registryLookup: BenchmarkLookup = (id) => {
  try {
    return getBenchmark(id);
  } catch (err) {
    if (err instanceof BenchmarkException && err.code === BenchmarkErrorCode.UNKNOWN_BENCHMARK) return undefined;
    throw err;
  }
};

/**
 * The runs a suite starts, in the suite's order: every benchmark once, then (with a feedback model) the feedback
 * members again with feedback. Ids the registry does not know are kept as `unavailable`, never dropped.
 */
export function planSuite(suite: SuiteDefinition, opts: { feedback: boolean }, lookup: BenchmarkLookup = registryLookup): SuitePlanEntry[] {
  const members: SuiteMember[] = [
    ...suite.benchmarks.map((benchmark) => ({ key: suiteMemberKey(benchmark, false), benchmark, feedback: false })),
    ...(opts.feedback ? suite.feedbackBenchmarks.map((benchmark) => ({ key: suiteMemberKey(benchmark, true), benchmark, feedback: true })) : []),
  ];
  return members.map((member) => {
    const benchmark = lookup(member.benchmark);
    if (benchmark === undefined) return { ...member, status: 'unavailable', reason: `${member.benchmark} is not available in this version` };
    return { ...member, status: 'planned', ref: benchmarkRef(benchmark) };
  });
}
