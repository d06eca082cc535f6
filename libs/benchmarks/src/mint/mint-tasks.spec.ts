import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BenchmarkErrorCode } from '../benchmark.exception';
import { sha256Hex } from '../hash';
import { SHARED_DATASETS_DIR, readSharedDataset } from '../testing/shared-datasets';
import { MINT_TASKS, type MintTaskName, mintDataset, mintTaskClass, mintTaskPrompt, parseMintItems, pyStrip } from './mint-tasks';

const COUNTS: Record<MintTaskName, number> = { gsm8k: 48, math: 100, theoremqa: 49, hotpotqa: 43, mmlu: 76, humaneval: 45, mbpp: 91 };

describe('MINT task data', () => {
  it.each(MINT_TASKS)('%s: the recorded sha256 matches the shared copy and parses to the published count', (task) => {
    const spec = mintDataset(task);
    const file = spec.files[0]!;
    expect(file.file).toBe(`mint-bench/data/processed/${task}/test_prompts.json`);
    expect(file.url).toContain('/xingyaoww/mint-bench/3f7f12c10bf763be1e6dbdeb42feb57624121f61/');
    expect(sha256Hex(readFileSync(join(SHARED_DATASETS_DIR, file.file)))).toBe(file.sha256);
    const items = parseMintItems(task, readSharedDataset({ dataset: spec }));
    expect(items).toHaveLength(COUNTS[task]);
    expect(spec.items).toBe(COUNTS[task]);
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    expect(items[0]!.id).toMatch(new RegExp(`^mint-${task}/\\d+$`));
  });

  it('maps each task to its upstream scoring class', () => {
    expect(MINT_TASKS.map(mintTaskClass)).toEqual(['ReasoningTask', 'ReasoningTask', 'TheoremqaTask', 'ReasoningTask', 'MultipleChoiceTask', 'HumanEvalTask', 'MBPPTask']);
  });

  it.each([
    ['gsm8k', '  How many? Solution output format: an integer. ', 'How many? Solution output format: an integer.'],
    ['theoremqa', ' Is it? ', 'Answer the following question with a number, a list of numbers or True or False. Is it?'],
    ['mmlu', 'Q?\nOptions: A ) 1 , B ) 2 ', 'Q?\nOptions: A ) 1 , B ) 2 '],
    ['humaneval', 'def f():\n    """doc"""\n', 'Complete the following code:\n\ndef f():\n    """doc"""\n'],
    ['mbpp', '"""\nWrite a function.\nassert f(1)==2\n"""\n', 'Write a function.\nassert f(1)==2'],
  ] as const)('%s renders its task text as the task class does', (task, prompt, expected) => {
    expect(mintTaskPrompt(task, prompt)).toBe(expected);
  });

  it("keeps TheoremQA's int/float distinction in the answer type (the raw JSON writes floats with '.' or 'e')", () => {
    const raw = readFileSync(join(SHARED_DATASETS_DIR, mintDataset('theoremqa').files[0]!.file), 'utf8').trim().split('\n');
    const items = parseMintItems('theoremqa', readSharedDataset({ dataset: mintDataset('theoremqa') }));
    const types = new Set(items.map((i) => (i.task === 'theoremqa' ? i.answerType : '')));
    expect(types).toEqual(new Set(['integer', 'float', 'list of integer', 'bool', 'option']));
    raw.forEach((line, index) => {
      const token = /"reference": ([^,}]+|\[[^\]]*\])/.exec(line)![1]!;
      const item = items[index]!;
      if (item.task !== 'theoremqa') throw new Error('not theoremqa');
      const isFloat = item.answerType === 'float' || item.answerType === 'list of float';
      if (item.answerType !== 'bool' && item.answerType !== 'option') expect([item.id, /[.e]/.test(token)]).toEqual([item.id, isFloat]);
    });
  });

  it('rejects a row without a numeric id as DATASET_INVALID, naming the file', () => {
    const file = mintDataset('gsm8k').files[0]!.file;
    const files = new Map([[file, Buffer.from('{"id": "x", "prompt": "p", "reference": "1"}\n')]]);
    expect(() => parseMintItems('gsm8k', files)).toThrow(expect.objectContaining({ code: BenchmarkErrorCode.DATASET_INVALID, message: expect.stringContaining(file) }));
  });

  it.each([
    ['  a \n', undefined, 'a'],
    ['\u00a0a\u3000', undefined, 'a'],
    ["['a) x']", "[]' ", 'a) x'],
    ['..x..', '.', 'x'],
    ['', undefined, ''],
  ])('pyStrip(%j, %j) = %j', (text, chars, expected) => {
    expect(pyStrip(text, chars)).toBe(expected);
  });
});
