export {
  benchmarkRef,
  promptText,
  type AgentEpisode,
  type AgentJudgeContext,
  type AgentJudgement,
  type AgentShell,
  type AgentProtocol,
  type AgentStep,
  type Benchmark,
  type ChatMessage,
  type CodeExecutor,
  type DatasetFile,
  type DatasetFiles,
  type DatasetSpec,
  type ExecutionRequest,
  type ExecutionResult,
  type LikelihoodProtocol,
  type LikelihoodScore,
  type Prompt,
  type PromptOptions,
  type SamplingDefaults,
  type ScoreResult,
  type TokenLogprob,
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
export { datasetDigest, singleFileDataset } from './dataset/dataset-files';
export { loadBenchmarkItems, type LoadedBenchmarkItems } from './dataset/load-benchmark-items';
export { HumanEvalBenchmark, humanEvalBenchmark, type HumanEvalItem, type HumanEvalOptions } from './humaneval/humaneval.benchmark';
export { buildHumanEvalProgram, type HumanEvalProgram, type HumanEvalAnswerShape } from './humaneval/humaneval-program';
export { Gsm8kBenchmark, gsm8kBenchmark, type Gsm8kItem } from './gsm8k/gsm8k.benchmark';
export { GSM8K_EXEMPLARS, type Gsm8kExemplar } from './gsm8k/gsm8k-exemplars';
export { extractGsm8kAnswer, gsm8kAnswersEqual, gsm8kReferenceAnswer } from './gsm8k/gsm8k-answer';
export { MbppBenchmark, mbppBenchmark, type MbppItem, type MbppOptions } from './mbpp/mbpp.benchmark';
export { buildMbppProgram, type MbppProgram, type MbppAnswerShape } from './mbpp/mbpp-program';
export { MBPP_EXEMPLARS, type MbppExemplar } from './mbpp/mbpp-exemplars';
export { MmluBenchmark, mmluBenchmark, type MmluItem } from './mmlu/mmlu.benchmark';
export { extractMmluLetter, MMLU_LETTERS, type MmluLetter } from './mmlu/mmlu-answer';
export { selectMmluLetter, type MmluLetterChoice } from './mmlu/mmlu-logprobs';
export { BbhBenchmark, bbhBenchmark, bbhDirectBenchmark, type BbhItem, type BbhOptions } from './bbh/bbh.benchmark';
export { bbhAnswersMatch, type BbhVariant, extractBbhAnswer } from './bbh/bbh-answer';
export { createOracleIndex, type OracleEntry, type OracleIndex, type OracleMatch } from './oracle/oracle-index';
export {
  isMintCodeItem,
  MINT_COMMIT,
  MINT_REASONING_TASKS,
  MINT_TASKS,
  mintDataset,
  mintTaskClass,
  mintTaskPrompt,
  parseMintItems,
  type MintCodeItem,
  type MintItem,
  type MintReasoningItem,
  type MintTaskClass,
  type MintTaskName,
  type TheoremqaAnswerType,
  type TheoremqaReference,
} from './mint/mint-tasks';
export {
  MINT_AGENT_SAMPLING,
  MINT_DEFAULT_BUDGET,
  MINT_FEEDBACK_SAMPLING,
  MINT_PROMPT_TEMPLATE_HASH,
  MINT_WRONG_ANSWER,
  mintInContextExample,
  mintTools,
  mintToolsetDescription,
  renderMintFeedbackPrompt,
  renderMintFirstMessage,
  renderMintObservation,
  type MintBudget,
  type MintObservation,
  type MintTool,
} from './mint/mint-prompt';
export { MINT_FEEDBACK_PROMPT_TEMPLATE, MINT_INVALID_INPUT_MESSAGE, MINT_TOOL_PROMPT_TEMPLATE, MINT_WIKIPEDIA_TOOL } from './mint/mint-templates';
export {
  formatMintReplOutput,
  MintEpisode,
  parseMintTurn,
  type MintActionCount,
  type MintEpisodeOptions,
  type MintNext,
  type MintParsedTurn,
  type MintTerminateReason,
  type MintTurnRecord,
} from './mint/mint-episode';
export { buildMintCodeProgram, judgeMintAnswer, judgeMintSolution, MINT_CODE_TIMEOUT_MS, type MintJudgement } from './mint/mint-scorer';
export { multipleChoiceTaskSuccess, reasoningTaskSuccess, type MintScoringRules } from './mint/mint-reasoning-scorer';
export { theoremqaSuccess } from './mint/mint-theoremqa-scorer';
export { MintScorerError } from './mint/mint-scorer-error';
export { buildMintWikipediaCache, MINT_WIKIPEDIA_NOT_FOUND, type MintWikipediaCache } from './mint/mint-wikipedia-cache';
export { formatMintExecution, MINT_BENCHMARKS, MINT_CELL_TIMEOUT_MS, MintBenchmark, mintTaskProbes, type MintBenchmarkItem } from './mint/mint.benchmark';
export {
  INTERCODE_AGENT_SAMPLING,
  INTERCODE_BASH_ROOT,
  IntercodeBashBenchmark,
  intercodeBashBenchmark,
  IntercodeSqlBenchmark,
  intercodeSqlBenchmark,
  judgeIntercodeBash,
  judgeIntercodeSql,
} from './intercode/intercode.benchmark';
export { INTERCODE_BASH_DATASET, INTERCODE_COMMIT, INTERCODE_SQL_DATASET, type IntercodeBashItem, type IntercodeSqlItem } from './intercode/intercode-tasks';
export {
  INTERCODE_BASH_BUILD_EPOCH,
  INTERCODE_BASH_COMPARED_ROOTS,
  INTERCODE_BASH_SCRATCH_DIRS,
  intercodeBashSetupScript,
  intercodeBashUpstreamScript,
  type IntercodeBashFileSystem,
} from './intercode/intercode-bash-filesystems';
export { intercodeSqlReward, kendallTauB, type IntercodeSqlReward } from './intercode/intercode-sql-reward';
export { intercodeBashReward, outputSimilarity, type FsChange, type IntercodeBashReward } from './intercode/intercode-bash-reward';
export { IntercodeEpisode, type IntercodeTerminateReason, type IntercodeTurnRecord } from './intercode/intercode-episode';
export { IntercodeCtfBenchmark, intercodeCtfBenchmark, intercodeCtfTaskDir, judgeIntercodeCtf } from './intercode/intercode-ctf.benchmark';
export {
  INTERCODE_CTF_DATASET,
  INTERCODE_CTF_SELF_CONTAINED,
  intercodeCtfAssetsDir,
  intercodeCtfAssetsUrl,
  intercodeCtfUnrunnableReason,
  type IntercodeCtfItem,
  type IntercodeCtfNeeds,
} from './intercode/intercode-ctf-tasks';
export { IntercodeCtfEpisode, parseIntercodeCtfAction } from './intercode/intercode-ctf-episode';
export { SpiderBenchmark, spiderBenchmark, type SpiderItem } from './spider/spider.benchmark';
export { extractSpiderSql } from './spider/spider-sql-extract';
export { spiderEvalQuery, spiderResultEq } from './spider/spider-exec-match';
export { spiderSqliteDatabases, type SpiderSqliteDatabase } from './spider/spider-sqlite-dump';
export {
  ENVIRONMENT_ERROR_STATUS,
  EnvironmentErrorCode,
  EnvironmentException,
  MAX_ACTION_CHARS,
  parseErrorBody,
  parseResetRequest,
  parseResetResponse,
  parseStepRequest,
  parseStepResponse,
  type EnvironmentInfo,
  type EnvironmentOutcome,
  type EnvironmentTool,
  type HealthResponse,
  type ResetRequest,
  type ResetResponse,
  type StepRequest,
  type StepResponse,
} from './environment/environment-protocol';
export { MAX_ENVIRONMENT_CALLS_PER_CELL, parseRelayCellOutput, relayBeginCell, relayResumeCell, renderEnvironmentRelaySetup, type RelayCellOutput } from './environment/environment-relay';
export { TINY_HOUSEHOLD_TASKS, TinyHousehold } from './environment/tiny-household';
export { webarenaBenchmark, WebarenaBenchmark } from './webarena/webarena.benchmark';
export { parseWebarenaTasks, WEBARENA_COMMIT, WEBARENA_DATASET, WEBARENA_SITES, WEBARENA_TASK_FILE, webarenaRequirements, type WebarenaItem } from './webarena/webarena-tasks';
export { formatWebarenaCommand, parseWebarenaCommand, sameWebarenaAction, type WebarenaAction } from './webarena/webarena-action';
export { extractWebarenaAction, parseWebarenaAnswer, parseWebarenaCodegenAction, type ParsedWebarenaAnswer } from './webarena/webarena-codegen';
export { WEBARENA_LIMITS, webarenaEarlyStop, type WebarenaEarlyStop, type WebarenaLimits } from './webarena/webarena-early-stop';
export { WebarenaEpisode, webarenaUrl, type WebarenaTerminateReason, type WebarenaTurnRecord } from './webarena/webarena-episode';
export { describeWebarenaAction, renderWebarenaMessages, WEBARENA_EXAMPLES, WEBARENA_INTRO, type WebarenaState } from './webarena/webarena-prompt';
export { AlfworldBenchmark, alfworldBenchmark } from './alfworld/alfworld.benchmark';
export { AlfworldEpisode, renderAlfworldFirstMessage, type AlfworldTurnRecord } from './alfworld/alfworld-episode';
export {
  alfworldActionKey,
  alfworldGoal,
  gameObservationIndex,
  modelText,
  observationActionKey,
  parsePublishedAlfworldRow,
  RecordedAlfworldGame,
  RecordedAlfworldRun,
  unrecordedObservation,
  type AlfworldGoal,
  type PublishedAlfworldEpisode,
} from './alfworld/alfworld-recording';
export { ALFWORLD_DATASET, ALFWORLD_GAMES, alfworldTaskPrompt, alfworldTaskType, parseAlfworldItems, type AlfworldItem, type AlfworldTaskType } from './alfworld/alfworld-tasks';
export { ALFWORLD_ENVIRONMENT_TOOLS, ALFWORLD_MINT_TOOLS, processAlfworldObservation } from './alfworld/alfworld-tools';
export { MissingDatasetBenchmark, type MissingDatasetBenchmarkSpec } from './dataset/missing-dataset.benchmark';
export { MULTIPL_E_LANGUAGES, multiplEBenchmark, multiplERequirements } from './multipl-e/multipl-e.benchmark';
export { ds1000Benchmark, ds1000Requirements } from './ds1000/ds1000.benchmark';
export { suiteMemberKey, type SuiteAxis, type SuiteDefinition, type SuiteMember } from './suites/suite';
export { findSuite, LEMUR_PAPER_SUITE, SUITES } from './suites/lemur-paper.suite';
export { planSuite, registryLookup, type BenchmarkLookup, type SuitePlanEntry } from './suites/suite-plan';
export { suiteAxes, type SuiteAxisResult, type SuiteMemberScore } from './suites/suite-axes';
