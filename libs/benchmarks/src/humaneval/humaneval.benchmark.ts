import { type Benchmark, type CodeExecutor, type DatasetFiles, type DatasetSpec, type Prompt, type PromptOptions, type SamplingDefaults, type ScoreResult } from '../benchmark';
import { datasetFile, singleFileDataset } from '../dataset/dataset-files';
import { parseJsonLines, requireString } from '../dataset/jsonl';
import { sha256Hex } from '../hash';
import { oracleKey } from '../oracle/oracle-key';
import { buildHumanEvalProgram } from './humaneval-program';
import { scoreProgram } from '../execution/program-verdict';

/** One HumanEval problem. */
export interface HumanEvalItem {
  /** The task id, e.g. 'HumanEval/0'. */
  id: string;
  prompt: string;
  entryPoint: string;
  canonicalSolution: string;
  test: string;
}

/** Options for {@link HumanEvalBenchmark}. */
export interface HumanEvalOptions {
  /** Wall-clock limit for one program; default 10 000 ms. */
  timeoutMs?: number;
}

const CHAT_INSTRUCTION = 'Complete the following Python function. Answer with the whole function in one ```python code block.';
// A body that runs without error and fails every one of the 164 test suites (checked by the known-answer test).
const WRONG_BODY = '    return None\n';

/** HumanEval, scored as openai/human-eval does: the test suite must exit 0 within the time limit. */
export class HumanEvalBenchmark implements Benchmark<HumanEvalItem> {
  readonly name = 'humaneval';
  readonly version = '1.0.0';
  readonly metric = 'pass@k';
  readonly dataset: DatasetSpec = singleFileDataset(
    {
      file: 'humaneval/HumanEval.jsonl.gz',
      url: 'https://github.com/openai/human-eval/raw/master/data/HumanEval.jsonl.gz',
      sha256: 'b796127e635a67f93fb35c04f4cb03cf06f38c8072ee7cee8833d7bee06979ef',
    },
    { license: 'MIT', items: 164 },
  );
  readonly sampling: SamplingDefaults = { maxTokens: 512, temperature: 0.2, topP: 0.95, stop: ['\nclass', '\ndef', '\n#', '\nif', '\nprint'] };
  readonly promptTemplateHash = sha256Hex(JSON.stringify({ completion: '{prompt}', chat: `${CHAT_INSTRUCTION}\n\n\`\`\`python\n{prompt}\`\`\`` }));
  readonly timeoutMs: number;

  constructor(opts: HumanEvalOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  parse(files: DatasetFiles): HumanEvalItem[] {
    const file = this.dataset.name;
    const fileBytes = datasetFile(files, file);
    return parseJsonLines(file, fileBytes).map((row, i) => ({
      id: requireString(file, row, i, 'task_id'),
      prompt: requireString(file, row, i, 'prompt'),
      entryPoint: requireString(file, row, i, 'entry_point'),
      canonicalSolution: requireString(file, row, i, 'canonical_solution'),
      test: requireString(file, row, i, 'test'),
    }));
  }

  buildPrompt(item: HumanEvalItem, opts: PromptOptions): Prompt {
    if (!opts.chat) return { kind: 'completion', text: item.prompt };
    return { kind: 'chat', messages: [{ role: 'user', content: `${CHAT_INSTRUCTION}\n\n\`\`\`python\n${item.prompt}\`\`\`` }] };
  }

  async score(item: HumanEvalItem, completion: string, ctx: { executor: CodeExecutor }): Promise<ScoreResult> {
    return scoreProgram(buildHumanEvalProgram(item, completion, this.sampling.stop), ctx.executor, this.timeoutMs);
  }

  referenceCompletion(item: HumanEvalItem, opts: PromptOptions): string {
    return opts.chat ? fence(`${item.prompt}${item.canonicalSolution}`) : item.canonicalSolution;
  }

  wrongCompletion(item: HumanEvalItem, opts: PromptOptions): string {
    return opts.chat ? fence(`${item.prompt}${WRONG_BODY}`) : WRONG_BODY;
  }

  oracleKeys(item: HumanEvalItem): string[] {
    return [oracleKey(item.prompt)];
  }

  oracleProbes(promptText: string): string[] {
    const probes: string[] = [];
    for (const m of promptText.matchAll(/```python\n([\s\S]*?)```/g)) probes.push(oracleKey(m[1] ?? ''));
    probes.push(oracleKey(promptText));
    // A chat template or BOS text in front of a completion prompt: start at the first line of Python.
    const code = /(?<![\w.])(?:from|import|def) /.exec(promptText);
    if (code !== null && code.index > 0) probes.push(oracleKey(promptText.slice(code.index).split('```')[0] ?? ''));
    return probes;
  }
}

function fence(code: string): string {
  return `\`\`\`python\n${code.endsWith('\n') ? code : `${code}\n`}\`\`\`\n`;
}

/** The registered HumanEval benchmark (10 s per program). */
export const humanEvalBenchmark = new HumanEvalBenchmark();
