import {
  type Benchmark,
  type CodeExecutor,
  type DatasetFile,
  type DatasetFiles,
  type DatasetSpec,
  type Prompt,
  type PromptOptions,
  type SamplingDefaults,
  type ScoreResult,
} from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { datasetFile } from '../dataset/dataset-files';
import { sha256Hex } from '../hash';
import { oracleKey } from '../oracle/oracle-key';
import { bbhAnswersMatch, type BbhVariant, extractBbhAnswer } from './bbh-answer';
import { BBH_TASK_FILES } from './bbh-files';

/** One BIG-Bench Hard example. */
export interface BbhItem {
  id: string;
  task: string;
  input: string;
  target: string;
  /** The task's 3-shot prompt (one string shared by the task's items). */
  fewShot: string;
  /** Another target of the same task that does not match this one: the known-wrong answer. */
  wrongTarget: string;
}

/** Which of the harness's two prompt variants. */
export interface BbhOptions {
  /** Chain-of-thought exemplars (default), or the answer-only rewrite the Lemur scripts' `--no_cot` makes. */
  chainOfThought: boolean;
}

const UPSTREAM = 'https://raw.githubusercontent.com/suzgunmirac/BIG-Bench-Hard/9ee07bd481feebf959a6b59d61ea57bdcf30964d';
const examplesFile = (task: string): string => `bbh/bbh/${task}.json`;
const promptFile = (task: string): string => `bbh/cot-prompts/${task}.txt`;

/** BIG-Bench Hard, 3-shot, with the Lemur harness's (open-instruct eval/bbh) prompts, stop and answer extraction. */
export class BbhBenchmark implements Benchmark<BbhItem> {
  readonly name: string;
  // 1.1.0: answer-only outputs read as the Lemur harness reads them (first line, up to its first period, the option
  // "(X)"), answer-only generation stopped at the first newline as there, and a closing period or "!" no longer costs
  // a Dyck or arithmetic answer its point in either variant.
  readonly version = '1.1.0';
  readonly metric = 'accuracy';
  readonly dataset: DatasetSpec = {
    name: 'bbh/',
    files: BBH_TASK_FILES.flatMap(({ task, examples, prompt }): DatasetFile[] => [
      { file: examplesFile(task), url: `${UPSTREAM}/bbh/${task}.json`, sha256: examples },
      { file: promptFile(task), url: `${UPSTREAM}/cot-prompts/${task}.txt`, sha256: prompt },
    ]),
    license: 'MIT',
    items: BBH_TASK_FILES.reduce((n, t) => n + t.items, 0),
  };
  readonly sampling: SamplingDefaults;
  readonly promptTemplateHash: string;
  private readonly cot: boolean;
  private readonly variant: BbhVariant;

  constructor(opts: BbhOptions) {
    this.cot = opts.chainOfThought;
    this.variant = this.cot ? 'cot' : 'direct';
    this.name = this.cot ? 'bbh' : 'bbh-direct';
    // The harness stops answer-only generation at the first newline (eval_hf_model); a chain of thought spans lines.
    this.sampling = { maxTokens: 512, temperature: 0, topP: 1, stop: this.cot ? ['\n\n'] : ['\n'] };
    this.promptTemplateHash = sha256Hex(
      JSON.stringify({ prompt: 'cot-prompts/{task}.txt from line 3, stripped', cot: this.cot, item: '\\n\\nQ: {input}\\nA:', chat: 'single user message ending at Q' }),
    );
  }

  parse(files: DatasetFiles): BbhItem[] {
    return BBH_TASK_FILES.flatMap(({ task }) => {
      const fewShot = this.taskPrompt(task, datasetFile(files, promptFile(task)).toString('utf8'));
      const examples = parseExamples(examplesFile(task), datasetFile(files, examplesFile(task)));
      return examples.map((example, index) => {
        const wrongTarget = examples.map((e) => e.target).find((t, k) => k > index && !bbhAnswersMatch(task, t, example.target)) ??
          examples.map((e) => e.target).find((t) => !bbhAnswersMatch(task, t, example.target));
        if (wrongTarget === undefined) {
          throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${examplesFile(task)}: every example has the same answer`, { file: examplesFile(task) });
        }
        return { id: `bbh/${task}/${index}`, task, input: example.input, target: example.target, fewShot, wrongTarget };
      });
    });
  }

  buildPrompt(item: BbhItem, opts: PromptOptions): Prompt {
    const question = `${item.fewShot}\n\nQ: ${item.input}`;
    // The harness appends "A:" after the chat template's assistant turn opens; a chat API opens it itself.
    return opts.chat ? { kind: 'chat', messages: [{ role: 'user', content: question }] } : { kind: 'completion', text: `${question}\nA:` };
  }

  async score(item: BbhItem, completion: string, _ctx?: { executor: CodeExecutor }): Promise<ScoreResult> {
    const extracted = extractBbhAnswer(completion, this.variant);
    const passed = bbhAnswersMatch(item.task, extracted, item.target);
    return { score: passed ? 1 : 0, passed, extracted, reason: passed ? 'correct' : `expected ${item.target}, got ${extracted === '' ? '(nothing)' : extracted}` };
  }

  referenceCompletion(item: BbhItem, opts: PromptOptions): string {
    return this.answerWith(item.target, opts);
  }

  wrongCompletion(item: BbhItem, opts: PromptOptions): string {
    return this.answerWith(item.wrongTarget, opts);
  }

  /** BBH's task (27 of them), as the harnesses report accuracy per task. */
  group(item: BbhItem): string {
    return item.task;
  }

  // Keyed by the task's description line and the input: the prompt's first paragraph, and what follows its fourth
  // "\n\nQ: " (three exemplars come first; an input may itself contain "Q:"). Both variants share those keys, so a
  // prompt is probed only by the variant its exemplars are written in: every chain-of-thought exemplar says "So the
  // answer is", and the answer-only rewrite keeps only what follows it. Otherwise the simulator would answer an
  // answer-only prompt with a chain of thought, which its first-newline stop cuts before the answer.
  oracleKeys(item: BbhItem): string[] {
    return [oracleKey(`${item.fewShot.split('\n\n', 1)[0]} Q: ${item.input}`)];
  }

  oracleProbes(promptText: string): string[] {
    let at = -1;
    for (let q = 0; q < 4; q += 1) {
      at = promptText.indexOf('\n\nQ: ', at + 1);
      if (at < 0) return [];
    }
    if (promptText.slice(0, at).includes('So the answer is') !== this.cot) return [];
    const end = promptText.endsWith('\nA:') ? promptText.length - '\nA:'.length : promptText.length;
    return [oracleKey(`${promptText.split('\n\n', 1)[0]} Q: ${promptText.slice(at + '\n\nQ: '.length, end)}`)];
  }

  private answerWith(target: string, opts: PromptOptions): string {
    // Answer only ends with a period, as the rewritten exemplars do ("A: -219.").
    const body = this.cot ? `Let's think step by step.\nSo the answer is ${target}.` : `${target}.`;
    return opts.chat ? body : ` ${body}`;
  }

  // open-instruct drops the file's first two lines (canary, "-----"); --no_cot rewrites each exemplar to "Q...\nA: answer".
  private taskPrompt(task: string, text: string): string {
    const prompt = text.split('\n').slice(2).join('\n').trim();
    if (this.cot) return prompt;
    return prompt
      .split('\n\n')
      .map((field) => {
        if (!field.startsWith('Q:')) return field;
        if (!field.includes('So the answer is') || !field.includes('\nA:')) {
          throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${promptFile(task)}: an exemplar lacks "\\nA:" or "So the answer is"`, { file: promptFile(task) });
        }
        return `${field.split('\nA:')[0]!.trim()}\nA: ${field.split('So the answer is').at(-1)!.trim()}`;
      })
      .join('\n\n');
  }
}

function parseExamples(file: string, bytes: Buffer): { input: string; target: string }[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file}: not valid JSON`, { file }, { cause });
  }
  const examples = (parsed as { examples?: unknown }).examples;
  if (!Array.isArray(examples)) throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file}: no "examples" array`, { file });
  return examples.map((e: unknown, index) => {
    const { input, target } = (e ?? {}) as Record<string, unknown>;
    if (typeof input !== 'string' || typeof target !== 'string') {
      throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file}: example ${index + 1} needs string "input" and "target"`, { file, row: index + 1 });
    }
    return { input, target };
  });
}

/** BBH with chain-of-thought exemplars (3-shot CoT). */
export const bbhBenchmark = new BbhBenchmark({ chainOfThought: true });
/** BBH answer-only, as the Lemur scripts run it (`--no_cot`). */
export const bbhDirectBenchmark = new BbhBenchmark({ chainOfThought: false });
