import { type Benchmark, type CodeExecutor, type DatasetFiles, type DatasetSpec, type Prompt, type PromptOptions, type SamplingDefaults, type ScoreResult } from '../benchmark';
import { datasetFile, singleFileDataset } from '../dataset/dataset-files';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { parseJsonLines, requireString } from '../dataset/jsonl';
import { sha256Hex } from '../hash';
import { scoreProgram } from '../execution/program-verdict';
import { oracleKey } from '../oracle/oracle-key';
import { MBPP_EXEMPLARS } from './mbpp-exemplars';
import { buildMbppProgram } from './mbpp-program';

/** One MBPP test-split problem (task ids 11–510). */
export interface MbppItem {
  /** 'mbpp/<task_id>', e.g. 'mbpp/11'. */
  id: string;
  taskId: number;
  text: string;
  /** The dataset's reference solution. */
  code: string;
  testSetupCode: string;
  /** The three asserts of `test_list`; `challenge_test_list` is not used, as in the paper's harness. */
  tests: string[];
  /** The tested function, read from the first assert. */
  entryPoint: string;
}

/** Options for {@link MbppBenchmark}. */
export interface MbppOptions {
  /** Wall-clock limit for one program; default 10 000 ms. */
  timeoutMs?: number;
}

const TEST_SPLIT = { first: 11, last: 510 };
const TASK_MARKER = 'You are an expert Python programmer, and here is your task: ';
const TESTS_MARKER = ' Your code should pass these tests:\n\n';
const FEW_SHOT_PREFIX = MBPP_EXEMPLARS.map((e) => `${taskText(e.text, e.tests)}[BEGIN]\n${e.code}\n[DONE]\n`).join('');

/** MBPP test split, 3-shot [BEGIN]/[DONE] prompts as in Austin et al. and the Lemur paper's harness (open-instruct eval/mbpp). */
export class MbppBenchmark implements Benchmark<MbppItem> {
  readonly name = 'mbpp';
  readonly version = '1.0.0';
  readonly metric = 'pass@k';
  readonly dataset: DatasetSpec = singleFileDataset(
    {
      file: 'mbpp/mbpp.jsonl',
      url: 'https://raw.githubusercontent.com/google-research/google-research/master/mbpp/mbpp.jsonl',
      sha256: 'ccf64ceae9c5403bf50a044cb6d505bfd2a2963ee58338ba268fd65beab92a9f',
    },
    { license: 'CC-BY-4.0', items: 500 },
  );
  readonly sampling: SamplingDefaults = { maxTokens: 650, temperature: 0, topP: 1, stop: ['[DONE]', '\nassert', '\nprint'] };
  readonly promptTemplateHash = sha256Hex(
    JSON.stringify({ prefix: FEW_SHOT_PREFIX, item: `${TASK_MARKER}{text}${TESTS_MARKER}{tests}\n[BEGIN]\n`, chat: 'single user message' }),
  );
  readonly timeoutMs: number;

  constructor(opts: MbppOptions = {}) {
    // Generous: a few reference solutions (e.g. task 123, amicable numbers) take seconds on a slow, busy core.
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  parse(files: DatasetFiles): MbppItem[] {
    const file = this.dataset.name;
    const fileBytes = datasetFile(files, file);
    return parseJsonLines(file, fileBytes).flatMap((row, index) => {
      const taskId = (row as Record<string, unknown>)['task_id'];
      if (typeof taskId !== 'number') {
        throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file}: row ${index + 1} has no numeric "task_id"`, { file, row: index + 1 });
      }
      if (taskId < TEST_SPLIT.first || taskId > TEST_SPLIT.last) return [];
      const tests = requireStringList(file, row, index, 'test_list');
      const entryPoint = testedFunction(tests[0] ?? '');
      if (entryPoint === undefined) {
        throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file}: task ${taskId} has no function call in its first assert`, { file, taskId });
      }
      return [
        {
          id: `mbpp/${taskId}`,
          taskId,
          text: requireString(file, row, index, 'text'),
          code: requireString(file, row, index, 'code'),
          testSetupCode: requireString(file, row, index, 'test_setup_code'),
          tests,
          entryPoint,
        },
      ];
    });
  }

  buildPrompt(item: MbppItem, opts: PromptOptions): Prompt {
    const text = `${FEW_SHOT_PREFIX}${taskText(item.text, item.tests)}[BEGIN]\n`;
    return opts.chat ? { kind: 'chat', messages: [{ role: 'user', content: text }] } : { kind: 'completion', text };
  }

  async score(item: MbppItem, completion: string, ctx: { executor: CodeExecutor }): Promise<ScoreResult> {
    return scoreProgram(buildMbppProgram(item, completion, this.sampling.stop), ctx.executor, this.timeoutMs);
  }

  referenceCompletion(item: MbppItem, opts: PromptOptions): string {
    return opts.chat ? fence(item.code) : `${item.code}\n`;
  }

  wrongCompletion(item: MbppItem, opts: PromptOptions): string {
    // An object equal to nothing and truthy, so neither `== expected` nor `not f(...)` asserts can pass by accident.
    const code = `class WrongAnswer:\n    pass\n\n\ndef ${item.entryPoint}(*args, **kwargs):\n    return WrongAnswer()\n`;
    return opts.chat ? fence(code) : code;
  }

  oracleKeys(item: MbppItem): string[] {
    return [oracleKey(taskText(item.text, item.tests))];
  }

  oracleProbes(promptText: string): string[] {
    const start = promptText.lastIndexOf(TASK_MARKER);
    if (start < 0) return [];
    const rest = promptText.slice(start);
    const end = rest.indexOf('[BEGIN]');
    return [oracleKey(end < 0 ? rest : rest.slice(0, end))];
  }
}

function taskText(text: string, tests: readonly string[]): string {
  return `${TASK_MARKER}${text}${TESTS_MARKER}${tests.join('\n')}\n`;
}

// The first call in the first assert is the tested function in all 500 tasks, even where it shadows a builtin
// (task 126 defines `sum`), so no list of builtins to skip is kept.
function testedFunction(firstAssert: string): string | undefined {
  return /(?<![\w.])([A-Za-z_]\w*)\s*\(/.exec(firstAssert)?.[1];
}

function requireStringList(file: string, row: unknown, index: number, field: string): string[] {
  const value = (row as Record<string, unknown>)[field];
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string')) {
    throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file}: row ${index + 1} has no string list "${field}"`, { file, row: index + 1, field });
  }
  return value as string[];
}

function fence(code: string): string {
  return `\`\`\`python\n${code.endsWith('\n') ? code : `${code}\n`}\`\`\`\n`;
}

/** The registered MBPP benchmark (10 s per program). */
export const mbppBenchmark = new MbppBenchmark();
