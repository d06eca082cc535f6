import { describe, expect, it } from 'vitest';
import { rescoreEpisode, type Rejudge } from './episode-rescore';
import type { EpisodeEvent } from './episode-runner';

const BUDGET = { maxSteps: 5, maxProposeSolution: 2 };

const model = (content: string): EpisodeEvent => ({ role: 'model', content, endpoint: 'e', attempts: 1, promptTokens: 1, completionTokens: 1, latencyMs: 1, finishReason: 'stop' });
const propose = (solution: string, success: boolean, extra: { error?: string } = {}): EpisodeEvent => ({
  role: 'action',
  kind: 'propose',
  solution,
  success,
  reason: success ? 'correct' : 'wrong',
  ...extra,
});
const verdict = (success: boolean, terminateReason: string): EpisodeEvent => ({ role: 'verdict', success, terminateReason, reason: terminateReason });

/** A judge accepting exactly `accepted`, counting its calls. */
function judge(accepted: string[]): Rejudge & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (solution: string) => {
    calls.push(solution);
    return { success: accepted.includes(solution), reason: accepted.includes(solution) ? 'now correct' : 'now wrong' };
  };
  return Object.assign(fn, { calls });
}

describe('rescoreEpisode', () => {
  it('keeps a recorded success the current judge also accepts', async () => {
    const events = [model('a'), propose('42', true), verdict(true, 'task_success')];
    expect(await rescoreEpisode(events, judge(['42']), BUDGET)).toMatchObject({ kind: 'scored', success: true, terminateReason: 'task_success' });
  });

  it('turns a rejected first proposal into a success where the current judge accepts it, and stops judging there', async () => {
    const events = [model('a'), propose('41.9', false), model('b'), propose('42', true), verdict(true, 'task_success')];
    const j = judge(['41.9', '42']);
    const outcome = await rescoreEpisode(events, j, BUDGET);
    expect(outcome).toMatchObject({ kind: 'scored', success: true, proposals: [{ solution: '41.9', recorded: false, now: true }] });
    expect(j.calls).toEqual(['41.9']);
  });

  it('keeps a failure where every proposal is still rejected', async () => {
    const events = [model('a'), propose('1', false), model('b'), propose('2', false), verdict(false, 'max_propose_steps')];
    expect(await rescoreEpisode(events, judge([]), BUDGET)).toMatchObject({ kind: 'scored', success: false, terminateReason: 'max_propose_steps' });
  });

  it('scores an episode without proposals as failed, with the recorded end', async () => {
    const events = [model('a'), model('b'), model('c'), model('d'), model('e'), verdict(false, 'max_steps')];
    expect(await rescoreEpisode(events, judge([]), BUDGET)).toMatchObject({ kind: 'scored', success: false, terminateReason: 'max_steps', proposals: [] });
  });

  it('calls an episode unknowable when an accepted proposal is now rejected with budget left', async () => {
    const events = [model('a'), propose('42', true), verdict(true, 'task_success')];
    const outcome = await rescoreEpisode(events, judge([]), BUDGET);
    expect(outcome.kind).toBe('unknowable');
    expect(outcome).toMatchObject({ reason: expect.stringMatching(/accepted when recorded and is rejected now.*fresh run/) });
  });

  it('fails an accepted-now-rejected proposal when the budget was spent anyway', async () => {
    const lastProposal = [model('a'), propose('1', false), model('b'), propose('42', true), verdict(true, 'task_success')];
    expect(await rescoreEpisode(lastProposal, judge([]), BUDGET)).toMatchObject({ kind: 'scored', success: false, terminateReason: 'max_propose_steps' });
    const lastStep = [model('a'), model('b'), model('c'), model('d'), model('e'), propose('42', true), verdict(true, 'task_success')];
    expect(await rescoreEpisode(lastStep, judge([]), BUDGET)).toMatchObject({ kind: 'scored', success: false, terminateReason: 'max_steps' });
  });

  it('calls an episode unknowable when the model was shown another verdict text and went on', async () => {
    const events = [model('a'), propose('x', false, { error: 'scorer raised ValueError' }), model('b'), propose('y', false), verdict(false, 'max_propose_steps')];
    const outcome = await rescoreEpisode(events, judge([]), BUDGET);
    expect(outcome).toMatchObject({ kind: 'unknowable', reason: expect.stringMatching(/shown another verdict of proposal 1/) });
  });

  it('calls an unfinished transcript unknowable', async () => {
    expect(await rescoreEpisode([model('a')], judge([]), BUDGET)).toMatchObject({ kind: 'unknowable' });
  });
});
