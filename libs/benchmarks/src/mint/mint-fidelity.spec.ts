import { beforeAll, describe, expect, it } from 'vitest';
import { mapWithConcurrency, PythonProcessExecutor } from '../testing/python-process.executor';
import { readSharedDataset } from '../testing/shared-datasets';
import { MintEpisode, parseMintTurn } from './mint-episode';
import { modelOutputOf, parseObservationTurn, publishedRuns, readPublishedEpisodes, type PublishedEpisode, type PublishedRun } from './mint-published-runs';
import { judgeMintAnswer, judgeMintSolution } from './mint-scorer';
import { isMintCodeItem, MINT_REASONING_TASKS, MINT_TASKS, mintDataset, type MintItem, type MintReasoningItem, type MintTaskName, parseMintItems } from './mint-tasks';

// The published per-task success rates (mint-bench SOURCE.md and lemur-evals.md §2b), in percent, one decimal.
const PUBLISHED_RATES: Record<string, Partial<Record<MintTaskName, number>> & { reasoning?: number; code?: number }> = {
  'lemur-70b-chat-v1 F=None/max5_p2+tool+cd': { gsm8k: 58.3, math: 6.0, theoremqa: 8.2, hotpotqa: 44.2, mmlu: 56.6, humaneval: 46.7, mbpp: 17.6, reasoning: 31.65, code: 27.21 },
  'lemur-70b-chat-v1 F=gpt-4-0613/PHF=no_GT-textual/max5_p2+tool+cd': { gsm8k: 68.8, math: 18.0, theoremqa: 26.5, hotpotqa: 32.6, mmlu: 32.9, humaneval: 68.9, mbpp: 33.0, reasoning: 32.59, code: 44.85 },
  'gpt-3.5-turbo-0613 F=None/max5_p2+tool+cd': { gsm8k: 43.8, math: 26.0, theoremqa: 28.6, hotpotqa: 27.9, mmlu: 56.6, humaneval: 37.8, mbpp: 25.3, reasoning: 36.71, code: 29.41 },
  'gpt-3.5-turbo-0613 F=gpt-4-0613/PHF=no_GT-textual/max5_p2+tool+cd': { gsm8k: 70.8, math: 43.0, theoremqa: 44.9, hotpotqa: 32.6, mmlu: 60.5, humaneval: 51.1, mbpp: 33.0, reasoning: 50.32, code: 38.97 },
  'lemur-70b-v1 F=None/max5_p2+tool+cd': { gsm8k: 41.7, math: 15.0, theoremqa: 12.2, hotpotqa: 0.0, mmlu: 13.2, humaneval: 15.6, mbpp: 15.4 },
};

const runKey = (run: PublishedRun): string => `${run.model} ${run.setting}`;

// The runs made before the Lemur runs used an older wording of TheoremQA's three option questions (ids 50-52);
// MINT later changed it in data/processed. The replay uses each run's own task text; this lists where it differs.
const OLDER_TASK_TEXT = new Set(
  ['lemur-70b-v1 F=None/max5_p2+tool+cd', ...['F=None/max5_p2+tool+cd', 'F=gpt-4-0613/PHF=no_GT-textual/max5_p2+tool+cd', 'F=None/max1_p1+tool+cd'].map((s) => `gpt-3.5-turbo-0613 ${s}`)].flatMap(
    (run) => [50, 51, 52].map((id) => `${run} mint-theoremqa/${id}`),
  ),
);
const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Re-scores an episode's proposals as MINT does: the episode succeeds at the first accepted <solution>. */
function rescore(item: MintReasoningItem, episode: PublishedEpisode): boolean {
  for (const turn of episode.history.slice(1)) {
    if (turn.role !== 'assistant') continue;
    const parsed = parseMintTurn(modelOutputOf(turn));
    if (parsed.action === 'propose' && judgeMintAnswer(item, parsed.solution).success) return true;
  }
  return false;
}

/**
 * Feeds a published episode's model turns into MintEpisode, answering code with the published observations, proposals
 * with `judge` and feedback with the published feedback, and returns the rendered history and end state.
 */
function replay(item: MintItem, episode: PublishedEpisode, run: PublishedRun, judge: (solution: string, turnIndex: number) => { success: boolean; error?: string }): MintEpisode {
  const ours = new MintEpisode(item, { budget: { maxSteps: run.maxSteps, maxProposeSolution: run.maxProposeSolution }, feedback: run.feedback });
  const turns = episode.history;
  for (let i = 1; i < turns.length; i += 1) {
    if (turns[i]!.role !== 'assistant') continue;
    if (ours.next().kind !== 'model') break;
    ours.submitModelTurn(modelOutputOf(turns[i]!));
    const answer = turns[i + 1] === undefined ? undefined : parseObservationTurn(turns[i + 1]!.content);
    const next = ours.next();
    if (next.kind === 'execute') ours.submitExecution(answer?.observation ?? '');
    else if (next.kind === 'judge') ours.submitJudgement(judge(next.solution, i));
    if (ours.next().kind === 'feedback') ours.submitFeedback(answer?.feedback ?? '');
  }
  if (episode.terminateReason === 'error' && ours.next().kind === 'model') ours.submitModelError(episode.error ?? '');
  return ours;
}

describe('MINT fidelity against the published trajectories', () => {
  const items = new Map<MintTaskName, Map<number, MintItem>>();
  const runs = publishedRuns();

  beforeAll(() => {
    for (const task of MINT_TASKS) {
      const parsed = parseMintItems(task, readSharedDataset({ dataset: mintDataset(task) }));
      items.set(task, new Map(parsed.map((i) => [i.upstreamId, i])));
    }
  });

  const itemOf = (task: MintTaskName, id: number): MintItem => {
    const item = items.get(task)?.get(id);
    if (item === undefined) throw new Error(`no ${task} item ${id}`);
    return item;
  };

  it('finds the Lemur and gpt-3.5 runs', () => {
    expect(runs.map(runKey)).toEqual(expect.arrayContaining(Object.keys(PUBLISHED_RATES)));
  });

  it('re-scoring every published reasoning episode reproduces state.success exactly', () => {
    const differences: string[] = [];
    let episodes = 0;
    for (const run of runs) {
      for (const task of MINT_REASONING_TASKS) {
        for (const episode of readPublishedEpisodes(run, task)) {
          episodes += 1;
          const item = itemOf(task, episode.taskId) as MintReasoningItem;
          const ours = rescore(item, episode);
          const key = `${runKey(run)} ${item.id}`;
          if (ours !== episode.success) differences.push(`${key}: published ${episode.success}, ours ${ours}`);
        }
      }
    }
    expect(episodes).toBe(316 * runs.length);
    expect(differences).toEqual([]);
  });

  it("the 'latest' rules (mint-bench at MINT_COMMIT) differ only on negative references and TheoremQA options", () => {
    const changed: Record<string, number> = {};
    for (const run of runs) {
      for (const task of MINT_REASONING_TASKS) {
        for (const episode of readPublishedEpisodes(run, task)) {
          const item = itemOf(task, episode.taskId) as MintReasoningItem;
          const proposals = episode.history
            .filter((t) => t.role === 'assistant')
            .map((t) => parseMintTurn(modelOutputOf(t)))
            .flatMap((p) => (p.action === 'propose' ? [p.solution] : []));
          const latest = proposals.some((s) => judgeMintAnswer(item, s, 'latest').success);
          if (latest === episode.success) continue;
          const why = !latest ? 'published success lost' : item.task === 'theoremqa' && item.answerType === 'option' ? 'theoremqa option' : item.task !== 'theoremqa' && item.reference.startsWith('-') ? `${task} negative reference` : `${task} other`;
          changed[why] = (changed[why] ?? 0) + 1;
        }
      }
    }
    // Every change turns a published failure into a success; 'other' would mean a third, unexplained difference.
    expect(changed).toEqual({ 'math negative reference': 15, 'theoremqa option': 7 });
  });

  it('re-executing the Lemur-70B-Chat code proposals (no feedback) reproduces state.success exactly', async () => {
    const run = runs.find((r) => runKey(r) === 'lemur-70b-chat-v1 F=None/max5_p2+tool+cd')!;
    const executor = new PythonProcessExecutor();
    const differences: string[] = [];
    for (const task of ['humaneval', 'mbpp'] as const) {
      const verdicts = await mapWithConcurrency(readPublishedEpisodes(run, task), 2, async (episode) => {
        const item = itemOf(task, episode.taskId);
        for (const turn of episode.history.slice(1)) {
          const parsed = turn.role === 'assistant' ? parseMintTurn(modelOutputOf(turn)) : undefined;
          if (parsed?.action === 'propose' && (await judgeMintSolution(item, parsed.solution, { executor })).success) return { item, episode, ours: true };
        }
        return { item, episode, ours: false };
      });
      for (const { item, episode, ours } of verdicts) if (ours !== episode.success) differences.push(`${item.id}: published ${episode.success}, ours ${ours}`);
    }
    expect(differences).toEqual([]);
  }, 120_000);

  it('re-derives the published success-rate table (micro averages over instances)', () => {
    const table: Record<string, Record<string, number>> = {};
    for (const run of runs) {
      const expected = PUBLISHED_RATES[runKey(run)];
      if (expected === undefined) continue;
      const counts: Record<string, { ok: number; n: number }> = {};
      for (const task of MINT_TASKS) {
        const episodes = readPublishedEpisodes(run, task);
        // Reasoning tasks: our scorer's verdict; code tasks: the published one (re-executing them is the sandbox's job).
        const ok = episodes.filter((e) => {
          const item = itemOf(task, e.taskId);
          return isMintCodeItem(item) ? e.success : rescore(item, e);
        }).length;
        counts[task] = { ok, n: episodes.length };
      }
      const sum = (tasks: readonly MintTaskName[]): number => (100 * tasks.reduce((a, t) => a + counts[t]!.ok, 0)) / tasks.reduce((a, t) => a + counts[t]!.n, 0);
      const row: Record<string, number> = Object.fromEntries(MINT_TASKS.map((t) => [t, round((100 * counts[t]!.ok) / counts[t]!.n, 1)]));
      if (expected.reasoning !== undefined) row['reasoning'] = round(sum(MINT_REASONING_TASKS), 2);
      if (expected.code !== undefined) row['code'] = round(sum(['humaneval', 'mbpp']), 2);
      table[runKey(run)] = row;
    }
    expect(table).toEqual(PUBLISHED_RATES);
  });

  for (const task of MINT_TASKS) {
    it(`replaying every published ${task} episode renders MINT's user turns byte for byte`, () => {
      const differences: string[] = [];
      for (const run of runs) {
        for (const episode of readPublishedEpisodes(run, task)) {
          const item = itemOf(task, episode.taskId);
          const lastAssistant = episode.history.map((t) => t.role).lastIndexOf('assistant');
          const judge = isMintCodeItem(item)
            ? // Code verdicts come from the published run: only a final proposal of a successful episode passed.
              (_: string, turnIndex: number) => ({ success: episode.success && turnIndex === lastAssistant })
            : (solution: string) => judgeMintAnswer(item, solution);
          const key = `${runKey(run)} ${item.id}`;
          const ours = replay({ ...item, taskPrompt: episode.taskPrompt }, episode, run, judge);
          const published = episode.history;
          if ((episode.taskPrompt !== item.taskPrompt) !== OLDER_TASK_TEXT.has(key)) differences.push(`${key}: task text ${episode.taskPrompt === item.taskPrompt ? 'unchanged' : 'changed'}`);
          const firstDiff = published.findIndex((turn, i) => ours.history[i]?.content !== turn.content || ours.history[i]?.role !== turn.role);
          if (firstDiff >= 0 || ours.history.length !== published.length) {
            differences.push(`${key}: history differs at turn ${firstDiff >= 0 ? firstDiff : Math.min(ours.history.length, published.length)}`);
          }
          const state = ours.state;
          if (state.success !== episode.success || state.terminateReason !== episode.terminateReason) {
            differences.push(`${key}: ended ${state.terminateReason}/${state.success}, published ${episode.terminateReason}/${episode.success}`);
          }
        }
      }
      expect(differences).toEqual([]);
    });
  }
});
