import { describe, expect, it } from 'vitest';
import { readSharedDataset } from '../testing/shared-datasets';
import { AlfworldEpisode, renderAlfworldFirstMessage } from './alfworld-episode';
import { publishedAlfworldRun } from './alfworld-published.testing';
import { modelText, type PublishedAlfworldEpisode } from './alfworld-recording';
import { alfworldBenchmark } from './alfworld.benchmark';
import { ALFWORLD_PUBLISHED_TOOL_DESC } from './alfworld-templates';
import { ALFWORLD_MINT_TOOLS } from './alfworld-tools';
import { mintToolsetDescription } from '../mint/mint-prompt';

// Published success rates (lemur-evals.md §2b, MINT F=None/max5_p2+tool+cd, ALFWorld 134 games).
const PUBLISHED: Record<string, number> = { 'lemur-70b-chat-v1': 59.7, 'lemur-70b-v1': 61.2, 'gpt-3.5-turbo-0613': 41.8 };

/**
 * Re-plays a published episode's final state through our episode: the published model turns, the published cell
 * outputs, and `done` from the environment in the cell after which MINT stopped with task_success (its output was
 * never logged). Returns our episode.
 */
function rescore(p: PublishedAlfworldEpisode): AlfworldEpisode {
  const episode = new AlfworldEpisode({ id: p.gamefile, gamefile: p.gamefile, taskType: p.taskType }, p.resetObservation);
  const turns = p.history.filter((m) => m.role === 'assistant');
  let cell = 0;
  for (const turn of turns) {
    const step = episode.next();
    if (step.kind === 'done') break;
    episode.submitModelTurn(modelText(turn));
    const next = episode.next();
    if (next.kind !== 'execute') continue;
    const output = p.cellOutputs[cell];
    cell += 1;
    // A cell without published output ended the episode (MINT logs nothing then): by the win, or by the step budget.
    const won = output === null && p.success;
    episode.submitExecution(output ?? '', { steps: 1, done: won, won, reward: won ? 1 : 0 });
  }
  if (episode.next().kind === 'model' && p.terminateReason === 'error') episode.submitModelError();
  return episode;
}

describe('mint-alfworld: the published trajectories through our episode', () => {
  for (const [model, rate] of Object.entries(PUBLISHED)) {
    const episodes = publishedAlfworldRun(model);

    it(`${model}: first messages are byte-identical and re-scoring the final states gives exactly ${rate}`, () => {
      expect(episodes).toHaveLength(134);
      let solved = 0;
      for (const p of episodes) {
        const ours = rescore(p);
        expect(ours.history[0]).toEqual(p.history[0]);
        const end = ours.next();
        expect(end, p.gamefile).toMatchObject({ kind: 'done', success: p.success, terminateReason: p.terminateReason });
        // The whole conversation is MINT's, turn for turn (observations, counters, "Your answer is wrong.").
        expect(ours.history, p.gamefile).toEqual(p.history);
        if (p.success) solved += 1;
      }
      expect(Math.round((1000 * solved) / episodes.length) / 10).toBe(rate);
    });
  }

  it("renders MINT's tool list for the eleven ALFWorld tools exactly as published", () => {
    expect(mintToolsetDescription(ALFWORLD_MINT_TOOLS)).toBe(ALFWORLD_PUBLISHED_TOOL_DESC);
    expect(renderAlfworldFirstMessage({ taskType: 'put' }, 'You are in the middle of a room.\nYour task is to: put some apple in cabinet.').content).toContain(
      'Task:\nInteract with a household to solve a task. \nYou are in the middle of a room.\nYour task is to: put some apple in cabinet.\n',
    );
  });

  it('succeeds as soon as a cell reports done, judges a proposal by the environment, and says "wrong" otherwise', () => {
    const item = { id: 'g', gamefile: 'g', taskType: 'put' as const };
    const win = new AlfworldEpisode(item, 'room');
    win.submitModelTurn('<execute> put("apple 1", "cabinet 1") </execute>');
    expect(win.next()).toEqual({ kind: 'execute', code: 'put("apple 1", "cabinet 1")' });
    win.submitExecution('You put the apple 1 in/on the cabinet 1.', { steps: 1, done: true, won: true, reward: 1 });
    expect(win.next()).toEqual({ kind: 'done', success: true, terminateReason: 'task_success' });

    const lose = new AlfworldEpisode(item, 'room');
    lose.submitModelTurn('<execute> look() </execute>');
    lose.submitExecution('You are in the middle of a room.', { steps: 1, done: false, won: false, reward: 0 });
    lose.submitModelTurn('<solution> done </solution>');
    expect(lose.history.at(-1)!.content).toBe('Observation:\nYour answer is wrong.\nYou have 3 steps left and 1 chances to propose solution left.\n');
    lose.submitModelTurn('<solution> done </solution>');
    expect(lose.next()).toEqual({ kind: 'done', success: false, terminateReason: 'max_propose_steps' });
    expect(() => lose.submitJudgement()).toThrow(/no judge step/);
  });

  it('parses the 134 games of gamefile_id.txt with their task types', () => {
    const items = alfworldBenchmark.parse(readSharedDataset(alfworldBenchmark));
    expect(items).toHaveLength(134);
    expect(items[0]).toEqual({
      id: 'mint-alfworld/pick_heat_then_place_in_recep-Apple-None-GarbageCan-10/trial_T20190908_145143_820541',
      gamefile: 'pick_heat_then_place_in_recep-Apple-None-GarbageCan-10/trial_T20190908_145143_820541',
      taskType: 'heat',
    });
    const counts = items.reduce<Record<string, number>>((c, i) => ({ ...c, [i.taskType]: (c[i.taskType] ?? 0) + 1 }), {});
    // ReAct's valid_unseen split: 24 put, 31 clean, 23 heat, 21 cool, 18 examine, 17 puttwo.
    expect(counts).toEqual({ put: 24, clean: 31, heat: 23, cool: 21, examine: 18, puttwo: 17 });
  });
});
