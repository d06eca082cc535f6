export {
  benchmarkRef,
  promptText,
  type Benchmark,
  type ChatMessage,
  type CodeExecutor,
  type DatasetSpec,
  type ExecutionRequest,
  type ExecutionResult,
  type Prompt,
  type PromptOptions,
  type SamplingDefaults,
  type ScoreResult,
} from './benchmark';
export { BenchmarkErrorCode, BenchmarkException, toPlatformErrorCode } from './benchmark.exception';
export { getBenchmark, listBenchmarks } from './registry';
export {
  DatasetResolver,
  type DatasetDownloadProgress,
  type DatasetResolverOptions,
  type DatasetSource,
  type ResolvedDataset,
} from './dataset/dataset-resolver';
export { loadBenchmarkItems, type LoadedBenchmarkItems } from './dataset/load-benchmark-items';
export { HumanEvalBenchmark, humanEvalBenchmark, type HumanEvalItem, type HumanEvalOptions } from './humaneval/humaneval.benchmark';
export { buildHumanEvalProgram, type HumanEvalProgram, type HumanEvalAnswerShape } from './humaneval/humaneval-program';
export { Gsm8kBenchmark, gsm8kBenchmark, type Gsm8kItem } from './gsm8k/gsm8k.benchmark';
export { GSM8K_EXEMPLARS, type Gsm8kExemplar } from './gsm8k/gsm8k-exemplars';
export { extractGsm8kAnswer, gsm8kAnswersEqual, gsm8kReferenceAnswer } from './gsm8k/gsm8k-answer';
export { MbppBenchmark, mbppBenchmark, type MbppItem, type MbppOptions } from './mbpp/mbpp.benchmark';
export { buildMbppProgram, type MbppProgram, type MbppAnswerShape } from './mbpp/mbpp-program';
export { MBPP_EXEMPLARS, type MbppExemplar } from './mbpp/mbpp-exemplars';
export { createOracleIndex, type OracleEntry, type OracleIndex, type OracleMatch } from './oracle/oracle-index';
