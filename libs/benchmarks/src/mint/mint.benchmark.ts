import {
  type AgentJudgement,
  type AgentProtocol,
  type Benchmark,
  type CodeExecutor,
  type DatasetFiles,
  type DatasetSpec,
  type ExecutionResult,
  type Prompt,
  type SamplingDefaults,
  type ScoreResult,
} from '../benchmark';
import { datasetFile } from '../dataset/dataset-files';
import { parseJsonLines } from '../dataset/jsonl';
import { sha256Hex } from '../hash';
import { formatMintReplOutput, MintEpisode, parseMintTurn } from './mint-episode';
import { MINT_AGENT_SAMPLING, MINT_DEFAULT_BUDGET, MINT_FEEDBACK_SAMPLING, MINT_PROMPT_TEMPLATE_HASH, mintTools, renderMintFirstMessage } from './mint-prompt';
import { type MintScoringRules } from './mint-reasoning-scorer';
import { judgeMintSolution } from './mint-scorer';
import { isMintCodeItem, mintDataset, type MintItem, type MintTaskName, parseMintItems, pyStrip } from './mint-tasks';

/** A MINT item with the source dataset's own solution (HumanEval/MBPP), which the simulator's oracle proposes. */
export type MintBenchmarkItem = MintItem & { canonicalSolution?: string };

/** MintExecute's per-cell limit (PythonREPL timeout in mint/tools/python_tool.py). */
export const MINT_CELL_TIMEOUT_MS = 30_000;

const TASK_MARKER = '---\n\nTask:\n';
// The in-context example and the task both follow the marker; a model turn could repeat it, so a few are tried.
const MAX_TASK_MARKERS = 4;
const MAX_CUTS = 32;

/**
 * The task texts a MINT conversation could carry, read from its text (chat messages joined by blank lines): after each
 * "---\n\nTask:\n", up to where the first message may end (its trailing newline, then the next message's blank line).
 */
export function mintTaskProbes(text: string): string[] {
  const probes: string[] = [];
  let from = 0;
  for (let i = 0; i < MAX_TASK_MARKERS; i += 1) {
    const at = text.indexOf(TASK_MARKER, from);
    if (at < 0) break;
    const rest = text.slice(at + TASK_MARKER.length);
    // Task texts may hold "\n\n\n" themselves (HumanEval), so each such cut is a candidate, then the whole rest.
    let end = rest.indexOf('\n\n\n');
    for (let cuts = 0; end >= 0 && cuts < MAX_CUTS; cuts += 1) {
      probes.push(pyStrip(rest.slice(0, end)));
      end = rest.indexOf('\n\n\n', end + 1);
    }
    probes.push(pyStrip(rest));
    from = at + TASK_MARKER.length;
  }
  return probes;
}

/** What a benchmark answers when a model turn proposes nothing: the episode alone decides success. */
const NO_PROPOSAL = 'the reply proposes no <solution>';

/**
 * One MINT task as a registered agent benchmark (`mint-<task>@1.0.0`): items are episodes of the MINT protocol
 * (max5_p2+tool+cd) judged with upstream's `published` scoring rules, which reproduce the paper's numbers.
 */
export class MintBenchmark implements Benchmark<MintBenchmarkItem> {
  readonly name: string;
  readonly version = '1.0.0';
  readonly metric = 'accuracy';
  readonly dataset: DatasetSpec;
  readonly sampling: SamplingDefaults = MINT_AGENT_SAMPLING;
  readonly promptTemplateHash: string;
  readonly agent: AgentProtocol<MintBenchmarkItem>;
  private readonly rules: MintScoringRules = 'published';

  constructor(readonly task: MintTaskName) {
    this.name = `mint-${task}`;
    this.dataset = mintDataset(task);
    const budget = MINT_DEFAULT_BUDGET;
    // The rules and budget change what a run measures, so they are part of what the hash pins.
    this.promptTemplateHash = sha256Hex(JSON.stringify({ templates: MINT_PROMPT_TEMPLATE_HASH, task, rules: this.rules, budget }));
    const rules = this.rules;
    this.agent = {
      protocol: 'mint',
      scoringRules: rules,
      budget,
      cellTimeoutMs: MINT_CELL_TIMEOUT_MS,
      tools: mintTools(task).map((t) => t.name),
      feedbackSampling: MINT_FEEDBACK_SAMPLING,
      startEpisode: (item, opts) => new MintEpisode(item, { budget, feedback: opts.feedback }),
      formatExecution: formatMintExecution,
      judge: (item, solution, ctx): Promise<AgentJudgement> => judgeMintSolution(item, solution, { executor: ctx.executor, rules }),
    };
  }

  parse(files: DatasetFiles): MintBenchmarkItem[] {
    const items = parseMintItems(this.task, files);
    if (this.task !== 'humaneval' && this.task !== 'mbpp') return items;
    const file = this.dataset.files[0]!.file;
    const rows = parseJsonLines(file, datasetFile(files, file)) as Record<string, unknown>[];
    return items.map((item, index) => {
      const row = rows[index] ?? {};
      // MINT's copy of the HumanEval prompt lost its final newline; the body must start on its own line.
      const canonical = this.task === 'humaneval' ? `${String(row['prompt'] ?? '').replace(/\n?$/, '\n')}${String(row['canonical_solution'] ?? '')}` : String(row['code'] ?? '');
      return { ...item, canonicalSolution: canonical.replaceAll('\r\n', '\n') };
    });
  }

  buildPrompt(item: MintBenchmarkItem): Prompt {
    return { kind: 'chat', messages: [renderMintFirstMessage(item, this.agent.budget, false)] };
  }

  async score(item: MintBenchmarkItem, completion: string, ctx: { executor: CodeExecutor }): Promise<ScoreResult> {
    const parsed = parseMintTurn(completion);
    if (parsed.action !== 'propose') return { score: 0, passed: false, reason: NO_PROPOSAL };
    const verdict = await this.agent.judge(item, parsed.solution, ctx);
    return {
      score: verdict.success ? 1 : 0,
      passed: verdict.success,
      extracted: parsed.solution,
      reason: verdict.reason,
      ...(verdict.execution ? { execution: verdict.execution } : {}),
    };
  }

  referenceCompletion(item: MintBenchmarkItem): string {
    const solution = isMintCodeItem(item) ? `\n${item.canonicalSolution ?? ''}\n` : ` ${String(item.reference)} `;
    return `<thought> I know the answer. </thought>\nThe answer is <solution>${solution}</solution>`;
  }

  wrongCompletion(item: MintBenchmarkItem): string {
    // Code: the tests never run; reasoning: no reference (numbers, yes/no, option letters a-d) is in "zzz".
    const solution = isMintCodeItem(item) ? '\nraise NotImplementedError\n' : ' zzz ';
    return `<thought> I will guess. </thought>\nThe answer is <solution>${solution}</solution>`;
  }

  oracleKeys(item: MintBenchmarkItem): string[] {
    return [`${this.name}:${pyStrip(item.taskPrompt)}`];
  }

  oracleProbes(promptText: string): string[] {
    return mintTaskProbes(promptText).map((p) => `${this.name}:${p}`);
  }
}

/** A cell's observation as MINT's PythonREPL shows it: the output stream (IPython prints tracebacks there too). */
export function formatMintExecution(result: ExecutionResult): string {
  let output = `${result.stdout}${result.stderr}`;
  if (result.timedOut) output += `TimeoutError: Timed out after ${MINT_CELL_TIMEOUT_MS / 1000} seconds.`;
  return formatMintReplOutput(output);
}

/** The seven registered MINT benchmarks. */
export const MINT_BENCHMARKS: readonly MintBenchmark[] = (['gsm8k', 'math', 'theoremqa', 'hotpotqa', 'mmlu', 'humaneval', 'mbpp'] as const).map((t) => new MintBenchmark(t));
