import { type EnvironmentInfo, type EnvironmentOutcome, type EnvironmentTool, type StepResponse } from './environment/environment-protocol';

/** What the model is sent: raw text to continue, or chat messages. */
export type Prompt =
  | { kind: 'completion'; text: string }
  | { kind: 'chat'; messages: ChatMessage[] };

/** One chat turn. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Sampling a benchmark's published harness uses; runs may override and must record what they used. */
export interface SamplingDefaults {
  maxTokens: number;
  temperature: number;
  topP: number;
  stop: string[];
}

/** A program to run in the sandbox: Python or bash in a fresh sandbox, or one SQL statement against a database. */
export interface ExecutionRequest {
  language: 'python' | 'bash' | 'sql';
  code: string;
  timeoutMs: number;
  /** Required for 'sql': a MySQL/MariaDB database the sandbox's operator loaded (e.g. a Spider database). */
  database?: { kind: 'mysql'; name: string; maxRows?: number };
}

/** What the sandbox observed; `exitCode` is null when the process was killed. */
export interface ExecutionResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  memoryExceeded: boolean;
  outputTruncated: boolean;
  wallMs: number;
}

/** Runs untrusted code; the real implementation is the sandbox service. */
export interface CodeExecutor {
  execute(req: ExecutionRequest): Promise<ExecutionResult>;
}

/** The verdict on one completion. `score` is in [0, 1]; `reason` says why in words a person can act on. */
export interface ScoreResult {
  score: number;
  passed: boolean;
  extracted?: string;
  reason: string;
  execution?: ExecutionResult;
}

/** One data file: where it comes from and how to recognise the right bytes. */
export interface DatasetFile {
  /** Path relative to a datasets folder, e.g. 'humaneval/HumanEval.jsonl.gz'. */
  file: string;
  /** The upstream publication of exactly these bytes. */
  url: string;
  sha256: string;
}

/** A benchmark's data: one file (HumanEval) or many (one CSV per MMLU subject). */
export interface DatasetSpec {
  /** What runs record and messages name: the file, or the folder of a many-file dataset (e.g. 'mmlu/'). */
  name: string;
  files: readonly DatasetFile[];
  license: string;
  items: number;
}

/** A dataset's verified bytes, keyed by `DatasetFile.file`. */
export type DatasetFiles = ReadonlyMap<string, Buffer>;

/** Options for building a prompt or an oracle answer. */
export interface PromptOptions {
  chat: boolean;
}

/** A benchmark: dataset + prompt builder + scorer, registered as `name@version`. */
export interface Benchmark<I extends { id: string } = { id: string }> {
  readonly name: string;
  readonly version: string;
  readonly metric: 'pass@k' | 'accuracy';
  readonly dataset: DatasetSpec;
  readonly sampling: SamplingDefaults;
  /** sha256 of the template text and exemplars, so runs record exactly which prompt they used. */
  readonly promptTemplateHash: string;
  /** Items from the dataset's files (gzip handled). */
  parse(files: DatasetFiles): I[];
  buildPrompt(item: I, opts: PromptOptions): Prompt;
  score(item: I, completion: string, ctx: { executor: CodeExecutor }): Promise<ScoreResult>;
  /** What a perfect model would answer to `buildPrompt(item, opts)`. */
  referenceCompletion(item: I, opts: PromptOptions): string;
  /** A plausible wrong answer that scores 0. */
  wrongCompletion(item: I, opts: PromptOptions): string;
  /** Keys under which the oracle index files this item. */
  oracleKeys(item: I): string[];
  /** Candidate keys read out of whatever text a model received, most specific first. */
  oracleProbes(promptText: string): string[];
  /**
   * The subset an item belongs to, where the benchmark's own reports break results down by one (Spider's hardness,
   * MMLU's subject, BBH's task): run summaries then carry the metric per group beside the overall one.
   */
  group?(item: I): string;
  /**
   * MySQL/MariaDB databases the sandbox must serve for these items (InterCode-SQL): a run checks them before it starts,
   * so a sandbox without them refuses the run (a suite member unavailable) instead of erroring every sample.
   */
  requiredMysqlDatabases?(items: readonly I[]): string[];
  /**
   * Present on benchmarks whose harness chooses the answer by next-token likelihood (MMLU): the worker asks the
   * completions API for the first token's top log-probabilities and judges them here; chat runs, and endpoints that
   * refuse log-probabilities, fall back to generating (`sampling`) and `score`.
   */
  readonly likelihood?: LikelihoodProtocol<I>;
  /**
   * Present on multi-turn (agent) benchmarks: the item is run as an episode of model turns, code cells and judged
   * proposals instead of one completion. `buildPrompt` then gives the first turn, and `score` judges one reply alone.
   */
  readonly agent?: AgentProtocol<I>;
}

/** One candidate next token and its log-probability (an entry of an OpenAI-compatible `top_logprobs`). */
export interface TokenLogprob {
  token: string;
  logprob: number;
}

/** A verdict from log-probabilities, with the log-probability of each option (null when not among the candidates). */
export interface LikelihoodScore extends ScoreResult {
  choiceLogprobs: Record<string, number | null>;
}

/** How a benchmark is scored from the first generated token's top log-probabilities. */
export interface LikelihoodProtocol<I> {
  /** The protocol's name, recorded with runs and samples (e.g. 'next-token-logprobs'). */
  readonly protocol: string;
  /** Alternatives asked for (the completions API's `logprobs`; vLLM's default `--max-logprobs` allows 20). */
  readonly topLogprobs: number;
  /** Tokens generated: the first one's alternatives are all that is judged. */
  readonly maxTokens: number;
  /** Judges the first generated token's alternatives (its `top_logprobs`, plus the token itself). */
  score(item: I, candidates: readonly TokenLogprob[]): LikelihoodScore;
}

/** What the driver of an agent episode must do next. */
export type AgentStep =
  | { kind: 'model'; messages: ChatMessage[] }
  /** Run `code` in the episode's persistent Python session and pass the formatted output to `submitExecution`. */
  | { kind: 'execute'; code: string }
  /**
   * Send `action` to the episode's environment-server session (POST /step) and pass the answer to
   * `submitEnvironmentStep`: for episodes whose model acts on the environment itself, with no session (WebArena).
   */
  | { kind: 'environment'; action: string }
  /**
   * Judge `solution` with `AgentProtocol.judge` and pass the verdict to `submitJudgement`; `observation` is what the
   * action printed in the episode's session, for judges that compare it (InterCode-Bash).
   */
  | { kind: 'judge'; solution: string; observation?: string }
  /** Ask the feedback model with `prompt` and pass its reply to `submitFeedback`. */
  | { kind: 'feedback'; prompt: ChatMessage }
  /** `reason` is the protocol's own account of the verdict, where the last judged proposal does not give it. */
  | { kind: 'done'; success: boolean; terminateReason: string; reason?: string };

/** One episode's state machine (e.g. MintEpisode): pure, driven by whoever owns the model, the sandbox and the clock. */
export interface AgentEpisode {
  next(): AgentStep;
  submitModelTurn(output: string): void;
  /** The model call failed for a reason the protocol treats as the episode's end (e.g. context exceeded). */
  submitModelError(error: string): void;
  /** The cell's output; `environment` is what an environment server reported during it (see AgentProtocol.environmentServer). */
  submitExecution(output: string, environment?: EnvironmentOutcome): void;
  submitJudgement(judgement: Pick<AgentJudgement, 'success' | 'error' | 'observation' | 'reward' | 'rewardText'>): void;
  /**
   * The environment server's answer to an `environment` step, or the message with which it refused the action as
   * malformed (BAD_REQUEST). Implemented by the episodes that ask for environment steps.
   */
  submitEnvironmentStep?(answer: StepResponse | { error: string }): void;
  submitFeedback(feedback: string): void;
  /** The protocol's own record of each turn, stored with the sample. */
  readonly turns: readonly object[];
}

/** A judged proposal; `error` is what the protocol shows the model when its scorer raised. */
export interface AgentJudgement {
  success: boolean;
  reason: string;
  error?: string;
  execution?: ExecutionResult;
  /** What the environment shows the model after the action, when the judge ran it (InterCode-SQL). */
  observation?: string;
  /** A graded reward in [0, 1] (InterCode), beside `success` (reward 1); `rewardText` is how the model is shown it. */
  reward?: number;
  rewardText?: string;
}

/** The episode's session as a judge may use it (InterCode-Bash reads the agent's file system through it). */
export interface AgentShell {
  run(code: string): Promise<ExecutionResult>;
}

/** What a judge is given: the executor for one-shot programs and, in a session episode, the session and the last observation. */
export interface AgentJudgeContext {
  executor: CodeExecutor;
  session?: AgentShell;
  observation?: string;
}

/** How an agent benchmark runs an item: its episode, sandbox session, tools and judge. */
export interface AgentProtocol<I> {
  /** The protocol's name, recorded with runs (e.g. 'mint'). */
  readonly protocol: string;
  /** Which version of the scoring rules judges proposals (e.g. MINT's 'published'). */
  readonly scoringRules: string;
  readonly budget: { maxSteps: number; maxProposeSolution: number };
  /** Wall-time limit of one code cell. */
  readonly cellTimeoutMs: number;
  /**
   * The episode's session: a Python interpreter (the default, MINT), a bash shell (InterCode-Bash), or none (every
   * action is judged by one-shot runs, InterCode-SQL).
   */
  readonly environment?: 'python' | 'bash' | 'none';
  /** Shell code run once when the episode's session (and every fresh session a judge opens) starts. */
  sessionSetup?(item: I): string;
  /** Names of the tool functions the session must define before the first cell. */
  readonly tools: readonly string[];
  /** Sampling of the feedback model, when a run has one. */
  readonly feedbackSampling: SamplingDefaults;
  /**
   * Present when the episode acts on an environment server (ALFWorld, WebArena; docs/environment-protocol.md) in a
   * session for `taskId(item)`: a Python session defines `tools`, each sending one command; an episode without a
   * session (`environment: 'none'`) sends its commands itself as `environment` steps.
   */
  readonly environmentServer?: { tools: readonly EnvironmentTool[]; taskId(item: I): string };
  /** `observation` and `info` are the environment server's /reset answer, for benchmarks with `environmentServer`. */
  startEpisode(item: I, opts: { feedback: boolean; observation?: string; info?: EnvironmentInfo }): AgentEpisode;
  /** Renders a cell's output as the observation text the protocol shows the model. */
  formatExecution(result: ExecutionResult): string;
  judge(item: I, solution: string, ctx: AgentJudgeContext): Promise<AgentJudgement>;
}

/** The registry reference of a benchmark, e.g. 'humaneval@1.0.0'. */
export function benchmarkRef(benchmark: Pick<Benchmark, 'name' | 'version'>): string {
  return `${benchmark.name}@${benchmark.version}`;
}

/** Concatenates what a model received into one text: the completion text, or the chat messages' contents. */
export function promptText(prompt: Prompt): string {
  return prompt.kind === 'completion' ? prompt.text : prompt.messages.map((m) => m.content).join('\n');
}
