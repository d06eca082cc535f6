import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mapWithConcurrency, PythonProcessExecutor } from '../testing/python-process.executor';
import { readSharedDataset, SHARED_DATASETS_DIR } from '../testing/shared-datasets';
import { buildMintCodeProgram, judgeMintAnswer, judgeMintSolution } from './mint-scorer';
import { isMintCodeItem, MINT_REASONING_TASKS, mintDataset, type MintItem, type MintReasoningItem, parseMintItems } from './mint-tasks';

const executor = new PythonProcessExecutor();
// MBPP 123's canonical solution is quadratic up to 9999 and needs about 10 s of CPU on its own, so against
// check_correctness's 10 s limit it passes or times out with the machine's load; it is left out rather than flaky.
const SLOW_CANONICAL = new Set(['mint-mbpp/15']);

function referenceText(item: MintReasoningItem): string {
  if (item.task !== 'theoremqa') return item.reference;
  const ref = item.reference;
  if (typeof ref === 'boolean') return ref ? 'True' : 'False';
  return Array.isArray(ref) ? `[${ref.join(', ')}]` : String(ref);
}

const reasoningItems = (): MintReasoningItem[] =>
  MINT_REASONING_TASKS.flatMap((task) => parseMintItems(task, readSharedDataset({ dataset: mintDataset(task) }))).filter(
    (i): i is MintReasoningItem => !isMintCodeItem(i),
  );

describe('MINT scorers on the reference answers', () => {
  it('accepts every reference answer under the latest rules and rejects a wrong one', () => {
    const items = reasoningItems();
    expect(items).toHaveLength(316);
    expect(items.filter((i) => !judgeMintAnswer(i, referenceText(i), 'latest').success).map((i) => i.id)).toEqual([]);
    expect(items.filter((i) => judgeMintAnswer(i, 'zzz', 'latest').success).map((i) => i.id)).toEqual([]);
  });

  it('under the published rules rejects exactly the negative MATH references and the TheoremQA options', () => {
    const rejected = reasoningItems()
      .filter((i) => !judgeMintAnswer(i, referenceText(i)).success)
      .map((i) => `${i.id}=${referenceText(i)}`);
    expect(rejected.every((r) => /^mint-math\/\d+=-/.test(r) || /^mint-theoremqa\/5[0-2]=[a-d]$/.test(r))).toBe(true);
    expect(rejected.filter((r) => r.startsWith('mint-theoremqa'))).toHaveLength(3);
    expect(rejected.length).toBeGreaterThan(3);
  });

  it('reports an upstream scorer exception as an error, not a plain wrong answer', () => {
    const item: MintReasoningItem = { id: 'x', task: 'mmlu', upstreamId: 0, prompt: 'Q\nOptions: A ) 1 , B ) 2', taskPrompt: '', reference: 'e' };
    expect(judgeMintAnswer(item, 'zzz')).toMatchObject({ success: false, error: "KeyError: 'e'" });
  });
});

describe('MINT code tasks (check_correctness through a CodeExecutor)', () => {
  // The canonical solutions the processed files carry: HumanEval's prompt (stripped of its final newline) + body, MBPP's `code`.
  const canonical = (task: 'humaneval' | 'mbpp'): Map<number, string> => {
    const lines = readFileSync(join(SHARED_DATASETS_DIR, mintDataset(task).files[0]!.file), 'utf8').trim().split('\n');
    return new Map(
      lines.map((l) => {
        const row = JSON.parse(l) as { id: number; prompt: string; canonical_solution?: string; code?: string };
        return [row.id, task === 'humaneval' ? `${row.prompt}\n${row.canonical_solution!}` : row.code!];
      }),
    );
  };

  it('passes every canonical solution and fails an empty function', async () => {
    const failures: string[] = [];
    for (const task of ['humaneval', 'mbpp'] as const) {
      const solutions = canonical(task);
      const items = parseMintItems(task, readSharedDataset({ dataset: mintDataset(task) }));
      const verdicts = await mapWithConcurrency(items, 3, async (item: MintItem) => ({
        item,
        good: await judgeMintSolution(item, solutions.get(item.upstreamId)!, { executor }),
      }));
      for (const { item, good } of verdicts) if (!good.success && !SLOW_CANONICAL.has(item.id)) failures.push(`${item.id}: ${good.reason}`);
      const wrong = await judgeMintSolution(items[0]!, 'def nothing():\n    pass', { executor });
      expect([wrong.success, wrong.reason]).toEqual([false, expect.stringMatching(/NameError/)]);
    }
    expect(failures).toEqual([]);
  }, 120_000);

  it.each([
    ['sys.exit(0) in the solution fails, as SystemExit is caught upstream', 'import sys\nsys.exit(0)', false],
    ['exit() fails', 'exit()', false],
    ['a __main__ block does not run under exec', 'if __name__ == "__main__":\n    raise ValueError("ran")', true],
    ['printing does not matter', 'print("noise")', true],
  ])('%s', async (_, extra, expected) => {
    const program = buildMintCodeProgram(`def f(x):\n    return x + 1\n${extra}`, 'assert f(1) == 2');
    const result = await executor.execute({ language: 'python', code: program, timeoutMs: 10_000 });
    expect(result.exitCode === 0).toBe(expected);
  });
});
