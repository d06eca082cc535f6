import { type DatasetFiles, type DatasetSpec } from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { datasetFile, singleFileDataset } from '../dataset/dataset-files';
import { parseJsonLines, requireString } from '../dataset/jsonl';

/** The upstream commit every MINT file here (data, templates, scoring rules) is taken from. */
export const MINT_COMMIT = '3f7f12c10bf763be1e6dbdeb42feb57624121f61';

/** The seven MINT tasks that run in a Python session (ALFWorld needs its own simulator). */
export const MINT_TASKS = ['gsm8k', 'math', 'theoremqa', 'hotpotqa', 'mmlu', 'humaneval', 'mbpp'] as const;
/** One of the seven MINT tasks. */
export type MintTaskName = (typeof MINT_TASKS)[number];

/** The five reasoning tasks (the paper's "tool augmentation" axis). */
export const MINT_REASONING_TASKS: readonly MintTaskName[] = ['gsm8k', 'math', 'theoremqa', 'hotpotqa', 'mmlu'];

/** The scoring class MINT's TASK_INFO_MAP (mint/configs/config_variables.py) assigns to each task. */
export type MintTaskClass = 'ReasoningTask' | 'MultipleChoiceTask' | 'TheoremqaTask' | 'HumanEvalTask' | 'MBPPTask';

/** A TheoremQA reference as the JSON gives it; `answerType` says whether numbers are ints or floats. */
export type TheoremqaReference = number | boolean | string | number[];

/** TheoremQA's answer types, from the `answer_type` field. */
export type TheoremqaAnswerType = 'integer' | 'float' | 'list of integer' | 'list of float' | 'bool' | 'option';

/** One MINT test instance. `taskPrompt` is the task text as the task class renders it after "Task:\n". */
export type MintItem = MintReasoningItem | MintCodeItem;

interface MintItemBase {
  id: string;
  upstreamId: number;
  prompt: string;
  taskPrompt: string;
}

/** An item of the five reasoning tasks; TheoremQA's carries its answer type. */
export type MintReasoningItem =
  | (MintItemBase & { task: 'gsm8k' | 'math' | 'hotpotqa' | 'mmlu'; reference: string })
  | (MintItemBase & { task: 'theoremqa'; reference: TheoremqaReference; answerType: TheoremqaAnswerType });

/** A HumanEval or MBPP item; `reference` is the test code appended to the solution. */
export type MintCodeItem = MintItemBase & { task: 'humaneval' | 'mbpp'; reference: string };

/** Whether an item is scored by running code. */
export function isMintCodeItem(item: MintItem): item is MintCodeItem {
  return item.task === 'humaneval' || item.task === 'mbpp';
}

const TASK_CLASS: Record<MintTaskName, MintTaskClass> = {
  gsm8k: 'ReasoningTask',
  math: 'ReasoningTask',
  hotpotqa: 'ReasoningTask',
  mmlu: 'MultipleChoiceTask',
  theoremqa: 'TheoremqaTask',
  humaneval: 'HumanEvalTask',
  mbpp: 'MBPPTask',
};

/** The upstream class that scores a task. */
export function mintTaskClass(task: MintTaskName): MintTaskClass {
  return TASK_CLASS[task];
}

// sha256 of the files at MINT_COMMIT (computed with sha256sum over the shared copy, see its SOURCE.md).
const FILES: Record<MintTaskName, { sha256: string; items: number; license: string }> = {
  gsm8k: { sha256: 'cb64217de242508aa95ececfffde657c507d244ae434bfed80b9663a331e3006', items: 48, license: 'MIT' },
  math: { sha256: '48a8c50efe9a206ca2cc634192545ed132596846fcd07631d5de2f4c6b54642d', items: 100, license: 'MIT' },
  theoremqa: { sha256: '0a66cce3ccfbb3645fb26c5c37951c7043284f9c82c04121a2bd0102abe12779', items: 49, license: 'MIT' },
  hotpotqa: { sha256: '3d85c77e4c8c25c8c8f7415fb29067be0d13b5a784ab45b6a89900f04e693282', items: 43, license: 'CC-BY-SA-4.0' },
  mmlu: { sha256: '77bd8aa372ddabb587392d7c9c7d275b75ac32d31fdbc836f1faa4d66d4300c3', items: 76, license: 'MIT' },
  humaneval: { sha256: '4928a066639367b11c18d903816d6c5705073694c974892371fe9d30f5b6a75d', items: 45, license: 'MIT' },
  mbpp: { sha256: '5aa7dd825467a624b400f4a18c95f23211019bb9da76c9041288b44b315538b6', items: 91, license: 'CC-BY-4.0' },
};

/** The dataset of one MINT task: `mint-bench/data/processed/<task>/test_prompts.json` (JSON Lines despite the name). */
export function mintDataset(task: MintTaskName): DatasetSpec {
  const { sha256, items, license } = FILES[task];
  const path = `data/processed/${task}/test_prompts.json`;
  return singleFileDataset(
    { file: `mint-bench/${path}`, url: `https://raw.githubusercontent.com/xingyaoww/mint-bench/${MINT_COMMIT}/${path}`, sha256 },
    // The MINT subset itself is Apache-2.0; the items keep their source dataset's licence.
    { license: `Apache-2.0 (MINT) / ${license} (source)`, items },
  );
}

const THEOREMQA_PREFIX = 'Answer the following question with a number, a list of numbers or True or False. ';
const HUMANEVAL_PREFIX = 'Complete the following code:\n\n';

/** The task text each upstream task class exposes as `task.prompt` (mint/tasks/reasoning.py, codegen.py). */
export function mintTaskPrompt(task: MintTaskName, prompt: string): string {
  switch (task) {
    case 'gsm8k':
    case 'math':
    case 'hotpotqa':
      return pyStrip(prompt);
    case 'theoremqa':
      return THEOREMQA_PREFIX + pyStrip(prompt);
    // MultipleChoiceTask keeps the prompt as given (hide_options is never set by the configs).
    case 'mmlu':
      return prompt;
    case 'humaneval':
      return HUMANEVAL_PREFIX + prompt;
    case 'mbpp':
      return pyStrip(prompt.replaceAll('"""', ''));
  }
}

/** Parses a task's `test_prompts.json` into items with ids `mint-<task>/<upstream id>`. */
export function parseMintItems(task: MintTaskName, files: DatasetFiles): MintItem[] {
  const file = mintDataset(task).files[0]!.file;
  return parseJsonLines(file, datasetFile(files, file)).map((row, index): MintItem => {
    const record = row as Record<string, unknown>;
    const upstreamId = record['id'];
    if (typeof upstreamId !== 'number') invalid(file, index, 'has no numeric "id"');
    const prompt = requireString(file, row, index, 'prompt');
    const base = { id: `mint-${task}/${upstreamId}`, upstreamId, prompt, taskPrompt: mintTaskPrompt(task, prompt) };
    if (task === 'theoremqa') {
      const answerType = requireString(file, row, index, 'answer_type');
      if (!isAnswerType(answerType)) invalid(file, index, `has an unknown answer_type "${answerType}"`);
      const reference = record['reference'];
      if (!isTheoremqaReference(reference)) invalid(file, index, 'has a reference that is not a number, bool, string or list of numbers');
      return { ...base, task, reference, answerType };
    }
    return { ...base, task, reference: requireString(file, row, index, 'reference') };
  });
}

const ANSWER_TYPES: readonly string[] = ['integer', 'float', 'list of integer', 'list of float', 'bool', 'option'];

function isAnswerType(value: string): value is TheoremqaAnswerType {
  return ANSWER_TYPES.includes(value);
}

function isTheoremqaReference(value: unknown): value is TheoremqaReference {
  if (Array.isArray(value)) return value.every((v) => typeof v === 'number');
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string';
}

function invalid(file: string, index: number, what: string): never {
  throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file}: row ${index + 1} ${what}`, { file, row: index + 1 });
}

const PY_WHITESPACE = ' \t\n\r\v\f\u001c\u001d\u001e\u001f\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

/** Python's `str.strip(chars)`: removes any of `chars` (default: Python's whitespace) from both ends. */
export function pyStrip(text: string, chars: string = PY_WHITESPACE): string {
  let start = 0;
  let end = text.length;
  while (start < end && chars.includes(text[start]!)) start += 1;
  while (end > start && chars.includes(text[end - 1]!)) end -= 1;
  return text.slice(start, end);
}
