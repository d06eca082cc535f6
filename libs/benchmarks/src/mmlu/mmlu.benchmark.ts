import { parse as parseCsv } from 'csv-parse/sync';
import {
  type Benchmark,
  type CodeExecutor,
  type DatasetFile,
  type DatasetFiles,
  type DatasetSpec,
  type LikelihoodProtocol,
  type LikelihoodScore,
  type Prompt,
  type PromptOptions,
  type SamplingDefaults,
  type ScoreResult,
  type TokenLogprob,
} from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { datasetFile } from '../dataset/dataset-files';
import { sha256Hex } from '../hash';
import { oracleKey } from '../oracle/oracle-key';
import { MMLU_LETTERS, extractMmluLetter, type MmluLetter } from './mmlu-answer';
import { MMLU_SUBJECT_FILES } from './mmlu-files';
import { selectMmluLetter } from './mmlu-logprobs';

/** One MMLU test question. */
export interface MmluItem {
  id: string;
  subject: string;
  question: string;
  choices: [string, string, string, string];
  answer: MmluLetter;
  /** The subject's header and five answered dev questions (one string shared by the subject's items). */
  fewShot: string;
}

/** One row of a subject's CSV, test or dev. */
interface MmluRow {
  question: string;
  choices: [string, string, string, string];
  answer: MmluLetter;
}

const SHOTS = 5;
const HEADER_PREFIX = 'The following are multiple choice questions (with answers) about';
const MIRROR = 'https://raw.githubusercontent.com/HaeChan0305/MLILAB-FedLLM/d92730e8bacd7b3a61e551e015e40588e10234b4/data/mmlu';
const COLUMNS = ['question', 'choice0', 'choice1', 'choice2', 'choice3', 'answer'];

const testFile = (subject: string): string => `mmlu/test/${subject}_test.csv`;
const devFile = (subject: string): string => `mmlu/dev/${subject}_dev.csv`;

// open-instruct's format_subject prefixes every word with a space, so the header reads "about  abstract algebra."
// (two spaces); kept, because that is the prompt the paper's numbers were measured with.
const header = (subject: string): string => `${HEADER_PREFIX} ${subject.split('_').map((w) => ` ${w}`).join('')}.\n\n`;

function questionBlock(row: { question: string; choices: readonly string[] }): string {
  return `${row.question}${row.choices.map((c, j) => `\n${MMLU_LETTERS[j]}. ${c}`).join('')}\nAnswer:`;
}

/** MMLU, 5-shot from each subject's dev split, formatted as the Lemur harness (open-instruct eval/mmlu) does. */
export class MmluBenchmark implements Benchmark<MmluItem> {
  readonly name = 'mmlu';
  // 2.0.0: scored by the answer letters' next-token log-probabilities, as the harness does (1.x generated only).
  readonly version = '2.0.0';
  readonly metric = 'accuracy';
  readonly dataset: DatasetSpec = {
    name: 'mmlu/',
    files: MMLU_SUBJECT_FILES.flatMap(({ subject, test, dev }): DatasetFile[] => [
      { file: testFile(subject), url: `${MIRROR}/test/${subject}_test.csv`, sha256: test },
      { file: devFile(subject), url: `${MIRROR}/dev/${subject}_dev.csv`, sha256: dev },
    ]),
    license: 'MIT',
    items: 14_042,
  };
  // The generation fallback (chat runs, endpoints without logprobs): a few greedy tokens, then the letter is read.
  readonly sampling: SamplingDefaults = { maxTokens: 8, temperature: 0, topP: 1, stop: ['\n'] };
  readonly promptTemplateHash = sha256Hex(
    JSON.stringify({ header: `${HEADER_PREFIX} {subject words, each with a leading space}.\n\n`, item: '{question}\\n{L}. {choice}...\\nAnswer:', shots: SHOTS, answer: ' {L}\\n\\n', chat: 'single user message' }),
  );
  /**
   * The harness (open-instruct eval/mmlu, l.69) takes the argmax of the next-token logits of " A".." D" after
   * "Answer:". Over the OpenAI-compatible API that is one completions request with `max_tokens: 1, logprobs: 20,
   * temperature: 0`, reading the first token's `top_logprobs`: one prefill per question that prefix caching shares
   * across a subject's five-shot prompts, and exact whenever at least one letter is among the 20 (a letter not shown
   * is less likely than every one shown). Scoring the four continuations with `echo: true` (prompt logprobs) would
   * cost four prefills that vLLM does not serve from its prefix cache, and hosted APIs no longer offer echo with
   * logprobs; 20 is vLLM's default `--max-logprobs` (more is a 400).
   */
  readonly likelihood: LikelihoodProtocol<MmluItem> = {
    protocol: 'next-token-logprobs',
    topLogprobs: 20,
    maxTokens: 1,
    score: (item: MmluItem, candidates: readonly TokenLogprob[]): LikelihoodScore => {
      const { letter, logprobs } = selectMmluLetter(candidates);
      if (letter === undefined) {
        return { score: 0, passed: false, choiceLogprobs: logprobs, reason: `no option letter (A-D) among the ${candidates.length} most likely next tokens; expected ${item.answer}` };
      }
      const passed = letter === item.answer;
      return { score: passed ? 1 : 0, passed, extracted: letter, choiceLogprobs: logprobs, reason: passed ? 'correct' : `expected ${item.answer}, chose ${letter}` };
    },
  };

  parse(files: DatasetFiles): MmluItem[] {
    const items: MmluItem[] = [];
    for (const { subject } of MMLU_SUBJECT_FILES) {
      const dev = parseRows(devFile(subject), datasetFile(files, devFile(subject)));
      if (dev.length < SHOTS) {
        throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${devFile(subject)} has ${dev.length} rows; ${SHOTS} are needed`, { file: devFile(subject) });
      }
      const fewShot = header(subject) + dev.slice(0, SHOTS).map((row) => `${questionBlock(row)} ${row.answer}\n\n`).join('');
      parseRows(testFile(subject), datasetFile(files, testFile(subject))).forEach((row, index) => {
        items.push({ id: `mmlu/${subject}/${index}`, subject, ...row, fewShot });
      });
    }
    return items;
  }

  buildPrompt(item: MmluItem, opts: PromptOptions): Prompt {
    const text = item.fewShot + questionBlock(item);
    return opts.chat ? { kind: 'chat', messages: [{ role: 'user', content: text }] } : { kind: 'completion', text };
  }

  async score(item: MmluItem, completion: string, _ctx?: { executor: CodeExecutor }): Promise<ScoreResult> {
    const extracted = extractMmluLetter(completion);
    if (extracted === undefined) return { score: 0, passed: false, reason: `no option letter (A-D) in the answer; expected ${item.answer}` };
    const passed = extracted === item.answer;
    return { score: passed ? 1 : 0, passed, extracted, reason: passed ? 'correct' : `expected ${item.answer}, chose ${extracted}` };
  }

  referenceCompletion(item: MmluItem, opts: PromptOptions): string {
    return opts.chat ? `The answer is ${item.answer}.` : ` ${item.answer}`;
  }

  wrongCompletion(item: MmluItem, opts: PromptOptions): string {
    const wrong = MMLU_LETTERS[(MMLU_LETTERS.indexOf(item.answer) + 1) % MMLU_LETTERS.length]!;
    return opts.chat ? `The answer is ${wrong}.` : ` ${wrong}`;
  }

  /** MMLU's subject (57 of them), as the harnesses report accuracy per subject. */
  group(item: MmluItem): string {
    return item.subject;
  }

  oracleKeys(item: MmluItem): string[] {
    return [oracleKey(`${item.subject} ${questionBlock(item)}`)];
  }

  oracleProbes(promptText: string): string[] {
    const start = promptText.indexOf(HEADER_PREFIX);
    const end = promptText.lastIndexOf('\nAnswer:');
    if (start < 0 || end < 0) return [];
    const subject = /^ ((?: \S+)+)\.\n/.exec(promptText.slice(start + HEADER_PREFIX.length))?.[1];
    if (subject === undefined) return [];
    // The asked question follows the last answered exemplar ("\nAnswer: X\n\n").
    const body = promptText.slice(0, end + '\nAnswer:'.length);
    const lastShot = Math.max(...MMLU_LETTERS.map((l) => body.lastIndexOf(`\nAnswer: ${l}\n\n`) + `\nAnswer: ${l}\n\n`.length));
    return [oracleKey(`${subject.trim().split(' ').join('_')} ${body.slice(lastShot)}`)];
  }
}

function parseRows(file: string, bytes: Buffer): MmluRow[] {
  let records: string[][];
  try {
    records = parseCsv(bytes, { relaxQuotes: false, skipEmptyLines: true }) as string[][];
  } catch (cause) {
    throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file}: not valid CSV (${(cause as Error).message})`, { file }, { cause });
  }
  const [head, ...rows] = records;
  if (head?.join(',') !== COLUMNS.join(',')) {
    throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file}: expected the header ${COLUMNS.join(',')}`, { file });
  }
  return rows.map((r, index) => {
    const answer = MMLU_LETTERS[Number(r[5])];
    if (r.length !== COLUMNS.length || answer === undefined || !/^[0-3]$/.test(r[5] ?? '')) {
      throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file}: row ${index + 2} needs 6 fields with an answer 0-3`, { file, row: index + 2 });
    }
    return { question: r[0]!, choices: [r[1]!, r[2]!, r[3]!, r[4]!], answer };
  });
}

/** The registered MMLU benchmark. */
export const mmluBenchmark = new MmluBenchmark();
