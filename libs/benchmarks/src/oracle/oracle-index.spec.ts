import { beforeAll, describe, expect, it } from 'vitest';
import { type Benchmark, promptText } from '../benchmark';
import { type Gsm8kItem, gsm8kBenchmark } from '../gsm8k/gsm8k.benchmark';
import { type HumanEvalItem, humanEvalBenchmark } from '../humaneval/humaneval.benchmark';
import { readSharedDataset } from '../testing/shared-datasets';
import { createOracleIndex, type OracleIndex } from './oracle-index';

describe('createOracleIndex', () => {
  let humanEval: HumanEvalItem[];
  let gsm8k: Gsm8kItem[];
  let index: OracleIndex;

  beforeAll(() => {
    humanEval = humanEvalBenchmark.parse(readSharedDataset(humanEvalBenchmark));
    gsm8k = gsm8kBenchmark.parse(readSharedDataset(gsm8kBenchmark));
    index = createOracleIndex([
      { benchmark: humanEvalBenchmark, items: humanEval },
      { benchmark: gsm8kBenchmark, items: gsm8k },
    ]);
  });

  it('counts every item', () => {
    expect(index.size).toBe(164 + 1319);
  });

  const cases: [string, () => { benchmark: Benchmark; items: { id: string }[] }][] = [
    ['humaneval', () => ({ benchmark: humanEvalBenchmark as Benchmark, items: humanEval })],
    ['gsm8k', () => ({ benchmark: gsm8kBenchmark as Benchmark, items: gsm8k })],
  ];

  for (const [name, entry] of cases) {
    for (const chat of [false, true]) {
      it(`finds every ${name} item from its own prompt (chat=${chat})`, () => {
        const { benchmark, items } = entry();
        const misses = items.filter((item) => {
          const match = index.lookup(promptText(benchmark.buildPrompt(item, { chat })));
          return match?.benchmark !== benchmark || match.item.id !== item.id;
        });
        expect(misses.map((m) => m.id)).toEqual([]);
      });
    }
  }

  it('sees through a chat template wrapped around the messages', () => {
    const wrap = (content: string): string => `<|system|>\nYou are helpful.\n<|user|>\n${content}\n<|assistant|>\n`;
    for (const item of [humanEval[10], humanEval[163], gsm8k[0], gsm8k[1318]] as { id: string }[]) {
      const benchmark: Benchmark = item.id.startsWith('HumanEval') ? humanEvalBenchmark : gsm8kBenchmark;
      const text = wrap(promptText(benchmark.buildPrompt(item, { chat: true })));
      expect(index.lookup(text)?.item.id).toBe(item.id);
    }
  });

  it('finds a completion prompt behind a BOS marker and re-indented whitespace', () => {
    const item = humanEval[5] as HumanEvalItem;
    expect(index.lookup(`<s>${item.prompt.replace(/\n/g, '\r\n')}`)?.item.id).toBe(item.id);
  });

  it('lets the simulator answer with the matched benchmark', () => {
    const item = gsm8k[42] as Gsm8kItem;
    const match = index.lookup(promptText(gsm8kBenchmark.buildPrompt(item, { chat: false })));
    expect(match && match.benchmark.referenceCompletion(match.item, { chat: false })).toBe(gsm8kBenchmark.referenceCompletion(item, { chat: false }));
  });

  it('misses an unknown prompt', () => {
    expect(index.lookup('Question: What is the capital of France?\nAnswer:')).toBeUndefined();
    expect(index.lookup('def foo():\n    """Nothing."""\n')).toBeUndefined();
    expect(index.lookup('')).toBeUndefined();
  });
});
