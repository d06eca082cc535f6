import { describe, expect, it } from 'vitest';
import { promptText } from '../benchmark';
import { createOracleIndex } from '../oracle/oracle-index';
import { listBenchmarks } from '../registry';
import { mapWithConcurrency, PythonProcessExecutor } from '../testing/python-process.executor';
import { readSharedDataset } from '../testing/shared-datasets';
import { MintEpisode } from './mint-episode';
import { formatMintExecution, MINT_BENCHMARKS, type MintBenchmarkItem, mintTaskProbes } from './mint.benchmark';

const loaded = MINT_BENCHMARKS.map((benchmark) => ({ benchmark, items: benchmark.parse(readSharedDataset(benchmark)) }));

describe('MINT agent benchmarks', () => {
  it('files every item under its task text, and finds it from the first turn and from later turns', () => {
    // Every registered benchmark in the index, as the simulator builds it: single-turn probes must not claim MINT text.
    const entries = listBenchmarks().map((b) => {
      const own = loaded.find((l) => l.benchmark === b);
      return { benchmark: b, items: own?.items ?? [] };
    });
    const index = createOracleIndex(entries);
    const misses: string[] = [];
    for (const { benchmark, items } of loaded) {
      for (const item of items) {
        const first = promptText(benchmark.buildPrompt(item));
        const later = [first, 'Assistant:\n<execute> print(1) </execute>\n', 'Observation:\n1\nYou have 4 steps left and 2 chances to propose solution left.\n'].join('\n\n');
        for (const text of [first, later]) {
          const hit = index.lookup(text);
          const found = hit?.item as MintBenchmarkItem | undefined;
          // MMLU 36 and 40 are the same question with the same answer: either is a correct find.
          const same = found !== undefined && found.taskPrompt === item.taskPrompt && found.reference === item.reference;
          if (hit?.benchmark !== benchmark || !same) misses.push(`${item.id}: found ${found?.id ?? 'nothing'}`);
        }
      }
    }
    expect(misses).toEqual([]);
  });

  it('reads no task out of a text without the MINT layout', () => {
    expect(mintTaskProbes('Question: 1+1?\nAnswer:')).toEqual([]);
  });

  // Under the published rules no answer passes a negative reference (MATH) or a TheoremQA option question: the oracle
  // fails exactly there, as every model did in the paper. MBPP 15's own reference solution is slow (amicable numbers
  // to 9999) and may pass MINT's 10 s limit on a busy machine.
  const unreachable = (item: MintBenchmarkItem): boolean =>
    (item.task === 'math' && item.reference.startsWith('-')) || (item.task === 'theoremqa' && item.answerType === 'option');
  const slow = new Set(['mint-mbpp/15']);

  it('the oracle reply ends the episode in one turn with success; the wrong reply never succeeds (all seven tasks)', async () => {
    const executor = new PythonProcessExecutor();
    const failures: string[] = [];
    for (const { benchmark, items } of loaded) {
      const verdicts = await mapWithConcurrency(items as MintBenchmarkItem[], 2, async (item) => ({
        item,
        right: await benchmark.score(item, benchmark.referenceCompletion(item), { executor }),
        wrong: await benchmark.score(item, benchmark.wrongCompletion(item), { executor }),
      }));
      for (const { item, right, wrong } of verdicts) {
        if (right.score !== (unreachable(item) ? 0 : 1) && !slow.has(item.id)) failures.push(`${item.id}: oracle scored ${right.score} (${right.reason})`);
        if (wrong.score !== 0) failures.push(`${item.id}: wrong scored ${wrong.score}`);
      }
    }
    expect(failures).toEqual([]);
    expect(loaded.flatMap((l) => l.items).filter(unreachable).length).toBe(11 + 3);
  }, 180_000);

  it('drives a MintEpisode: the oracle reply is judged and the episode ends with task_success', async () => {
    const { benchmark, items } = loaded[0]!;
    const item = items[0]!;
    const episode = benchmark.agent.startEpisode(item, { feedback: false });
    expect(episode).toBeInstanceOf(MintEpisode);
    episode.submitModelTurn(benchmark.referenceCompletion(item));
    const step = episode.next();
    expect(step.kind).toBe('judge');
    if (step.kind !== 'judge') return;
    episode.submitJudgement(await benchmark.agent.judge(item, step.solution, { executor: new PythonProcessExecutor() }));
    expect(episode.next()).toEqual({ kind: 'done', success: true, terminateReason: 'task_success' });
  });

  it("renders a cell's output as MINT's PythonREPL does", () => {
    const base = { exitCode: 0, stdout: '', stderr: '', timedOut: false, memoryExceeded: false, outputTruncated: false, wallMs: 1 };
    expect(formatMintExecution(base)).toBe('[Executed Successfully with No Output]');
    expect(formatMintExecution({ ...base, stdout: '4\n', stderr: 'Traceback ...\n' })).toBe('4\nTraceback ...\n');
    expect(formatMintExecution({ ...base, timedOut: true })).toBe('TimeoutError: Timed out after 30 seconds.');
    expect(formatMintExecution({ ...base, stdout: 'x'.repeat(2500) })).toMatch(/^x{2000}\.\.\.\n\[Output Truncated\]$/);
  });
});
