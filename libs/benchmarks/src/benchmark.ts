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

/** A program to run in the sandbox. */
export interface ExecutionRequest {
  language: 'python';
  code: string;
  timeoutMs: number;
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

/** Where a benchmark's data file comes from and how to recognise the right bytes. */
export interface DatasetSpec {
  /** Path relative to a datasets folder, e.g. 'humaneval/HumanEval.jsonl.gz'. */
  file: string;
  /** The upstream publication of exactly these bytes. */
  url: string;
  sha256: string;
  license: string;
  items: number;
}

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
  /** Items from the dataset file's bytes (gzip handled). */
  parse(fileBytes: Buffer): I[];
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
}

/** The registry reference of a benchmark, e.g. 'humaneval@1.0.0'. */
export function benchmarkRef(benchmark: Pick<Benchmark, 'name' | 'version'>): string {
  return `${benchmark.name}@${benchmark.version}`;
}

/** Concatenates what a model received into one text: the completion text, or the chat messages' contents. */
export function promptText(prompt: Prompt): string {
  return prompt.kind === 'completion' ? prompt.text : prompt.messages.map((m) => m.content).join('\n');
}
