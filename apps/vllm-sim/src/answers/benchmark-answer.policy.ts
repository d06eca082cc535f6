import { type AnswerPolicy, type AnswerRequest, UNKNOWN_PROMPT_ANSWER } from './answer-policy';

/** The part of a `@lemur/benchmarks` Benchmark the oracle and wrong modes use. */
export interface CompletingBenchmark {
  referenceCompletion(item: never, options: { chat: boolean }): string;
  wrongCompletion(item: never, options: { chat: boolean }): string;
}

/** Finds the benchmark item a prompt was built from (the shape of `createOracleIndex` from `@lemur/benchmarks`). */
export interface OracleLookup {
  lookup(promptText: string): { benchmark: CompletingBenchmark; item: unknown } | undefined;
}

/** Which answer a benchmark-backed model gives: the reference (scores correct) or a wrong one (scores incorrect). */
export type BenchmarkAnswerKind = 'oracle' | 'wrong';

/** Answers benchmark prompts with the item's reference or wrong completion; unknown prompts get a fixed text. */
export class BenchmarkAnswerPolicy implements AnswerPolicy {
  constructor(
    private readonly index: OracleLookup,
    private readonly kind: BenchmarkAnswerKind,
  ) {}

  answer(req: AnswerRequest): string {
    const hit = this.index.lookup(req.prompt);
    if (!hit) return UNKNOWN_PROMPT_ANSWER;
    const { benchmark } = hit;
    const item = hit.item as never;
    return this.kind === 'oracle'
      ? benchmark.referenceCompletion(item, { chat: req.chat })
      : benchmark.wrongCompletion(item, { chat: req.chat });
  }
}
