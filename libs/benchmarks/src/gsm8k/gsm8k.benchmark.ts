import { type Benchmark, type CodeExecutor, type DatasetFiles, type DatasetSpec, type Prompt, type PromptOptions, type SamplingDefaults, type ScoreResult } from '../benchmark';
import { datasetFile, singleFileDataset } from '../dataset/dataset-files';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { parseJsonLines, requireString } from '../dataset/jsonl';
import { sha256Hex } from '../hash';
import { oracleKey } from '../oracle/oracle-key';
import { extractGsm8kAnswer, gsm8kAnswersEqual, gsm8kReferenceAnswer } from './gsm8k-answer';
import { GSM8K_EXEMPLARS } from './gsm8k-exemplars';

/** One GSM8K test problem. `answer` is the normalised number after '####'. */
export interface Gsm8kItem {
  id: string;
  question: string;
  /** The dataset's worked solution, calculator annotations and '#### X' line included. */
  solution: string;
  answer: string;
}

const INSTRUCTION = 'Answer the following questions.\n\n';
const STOP = '\n\nQuestion:';
const FEW_SHOT_PREFIX =
  INSTRUCTION + GSM8K_EXEMPLARS.map((e) => `Question: ${e.question}\nAnswer: ${e.chainOfThought} So the answer is ${e.answer}.\n\n`).join('');

/** GSM8K test split, 8-shot chain of thought as in the Lemur paper's harness (open-instruct eval/gsm). */
export class Gsm8kBenchmark implements Benchmark<Gsm8kItem> {
  readonly name = 'gsm8k';
  readonly version = '1.0.0';
  readonly metric = 'accuracy';
  readonly dataset: DatasetSpec = singleFileDataset(
    {
      file: 'gsm8k/test.jsonl',
      url: 'https://raw.githubusercontent.com/openai/grade-school-math/master/grade_school_math/data/test.jsonl',
      sha256: '3730d312f6e3440559ace48831e51066acaca737f6eabec99bccb9e4b3c39d14',
    },
    { license: 'MIT', items: 1319 },
  );
  readonly sampling: SamplingDefaults = { maxTokens: 512, temperature: 0, topP: 1, stop: [STOP] };
  readonly promptTemplateHash = sha256Hex(JSON.stringify({ prefix: FEW_SHOT_PREFIX, item: 'Question: {question}\nAnswer:', chat: 'single user message' }));

  parse(files: DatasetFiles): Gsm8kItem[] {
    const file = this.dataset.name;
    const fileBytes = datasetFile(files, file);
    return parseJsonLines(file, fileBytes).map((row, index) => {
      const solution = requireString(file, row, index, 'answer');
      const answer = gsm8kReferenceAnswer(solution);
      if (answer === undefined) {
        throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file}: row ${index + 1} has no numeric '#### answer'`, { file, row: index + 1 });
      }
      return { id: `gsm8k/${index}`, question: requireString(file, row, index, 'question'), solution, answer };
    });
  }

  buildPrompt(item: Gsm8kItem, opts: PromptOptions): Prompt {
    const text = `${FEW_SHOT_PREFIX}Question: ${item.question.trim()}\nAnswer:`;
    return opts.chat ? { kind: 'chat', messages: [{ role: 'user', content: text }] } : { kind: 'completion', text };
  }

  // Scoring is pure string work; the executor in the context is never used.
  async score(item: Gsm8kItem, completion: string, _ctx?: { executor: CodeExecutor }): Promise<ScoreResult> {
    const extracted = extractGsm8kAnswer(completion);
    if (extracted === undefined) return { score: 0, passed: false, reason: `no number in the completion; expected ${item.answer}` };
    const passed = gsm8kAnswersEqual(extracted, item.answer);
    return { score: passed ? 1 : 0, passed, extracted, reason: passed ? 'correct' : `expected ${item.answer}, got ${extracted}` };
  }

  referenceCompletion(item: Gsm8kItem, opts: PromptOptions): string {
    return this.answerWith(item, item.answer, opts);
  }

  wrongCompletion(item: Gsm8kItem, opts: PromptOptions): string {
    return this.answerWith(item, String(Number(item.answer) + 1), opts);
  }

  oracleKeys(item: Gsm8kItem): string[] {
    return [oracleKey(item.question)];
  }

  oracleProbes(promptText: string): string[] {
    const start = promptText.lastIndexOf('Question:');
    if (start < 0) return [];
    const rest = promptText.slice(start + 'Question:'.length);
    const end = rest.indexOf('Answer:');
    return [oracleKey(end < 0 ? rest : rest.slice(0, end))];
  }

  // The worked solution in the exemplars' one-line style, so it reads like a greedy continuation of the few-shot prompt.
  private answerWith(item: Gsm8kItem, answer: string, opts: PromptOptions): string {
    const reasoning = (item.solution.split('####')[0] ?? '')
      .replace(/<<[^>]*>>/g, '')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .join(' ');
    const body = `${reasoning} So the answer is ${answer}.`;
    return opts.chat ? body : ` ${body}`;
  }
}

/** The registered GSM8K benchmark. */
export const gsm8kBenchmark = new Gsm8kBenchmark();
