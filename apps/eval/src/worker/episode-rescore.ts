import type { AgentJudgement } from '@lemur/benchmarks';
import type { EpisodeEvent } from './episode-runner';

type ProposeEvent = Extract<EpisodeEvent, { kind: 'propose' }>;

/** What the current judge says of one recorded proposal. */
export type Rejudge = (solution: string) => Promise<Pick<AgentJudgement, 'success' | 'reason' | 'error' | 'observation' | 'reward'>>;

/** One recorded proposal judged again. */
export interface RejudgedProposal {
  solution: string;
  recorded: boolean;
  now: boolean;
  reason: string;
}

/** The episode's verdict under the current judge, or why the stored transcript cannot tell it. */
export type EpisodeRescore =
  | { kind: 'scored'; success: boolean; terminateReason: string; reason: string; proposals: RejudgedProposal[] }
  | { kind: 'unknowable'; reason: string; proposals: RejudgedProposal[] };

/**
 * Re-judges a recorded agent episode's proposals in order. The recorded trajectory stays valid up to the first proposal
 * whose verdict, or what the model was shown about it, changes: a proposal the current judge accepts ends the episode
 * there with success, exactly as a fresh run would. A proposal accepted then but rejected now would have let the
 * episode go on (unless its budget was spent), and what the model would have done next is not in the transcript; so
 * is any later turn after a proposal whose shown verdict changed. Those episodes are `unknowable`, never guessed.
 */
export async function rescoreEpisode(
  events: readonly EpisodeEvent[],
  rejudge: Rejudge,
  budget: { maxSteps: number; maxProposeSolution: number },
): Promise<EpisodeRescore> {
  const verdict = events.find((e): e is Extract<EpisodeEvent, { role: 'verdict' }> => e.role === 'verdict');
  if (verdict === undefined) return { kind: 'unknowable', reason: 'the stored transcript has no verdict (the episode did not finish)', proposals: [] };
  const proposals: RejudgedProposal[] = [];
  const modelTurns = events.filter((e) => e.role === 'model').length;
  for (let i = 0; i < events.length; i += 1) {
    const event = events[i]!;
    if (event.role !== 'action' || event.kind !== 'propose') continue;
    const now = await rejudge(event.solution);
    proposals.push({ solution: event.solution, recorded: event.success, now: now.success, reason: now.reason });
    if (now.success) return { kind: 'scored', success: true, terminateReason: 'task_success', reason: `solved: ${now.reason}`, proposals };
    const modelTurnAfter = events.slice(i + 1).some((e) => e.role === 'model');
    if (event.success) {
      const proposed = proposals.length;
      if (modelTurns >= budget.maxSteps) return { kind: 'scored', success: false, terminateReason: 'max_steps', reason: `the final proposal is now rejected: ${now.reason}`, proposals };
      if (proposed >= budget.maxProposeSolution) {
        return { kind: 'scored', success: false, terminateReason: 'max_propose_steps', reason: `the final proposal is now rejected: ${now.reason}`, proposals };
      }
      return {
        kind: 'unknowable',
        reason: `proposal ${proposed} was accepted when recorded and is rejected now (${now.reason}); the episode would have gone on with budget left, and only a fresh run can tell how`,
        proposals,
      };
    }
    if (modelTurnAfter && shownDiffers(event, now)) {
      return {
        kind: 'unknowable',
        reason: `the model was shown another verdict of proposal ${proposals.length} than the current judge gives, so the turns after it may have differed`,
        proposals,
      };
    }
  }
  return {
    kind: 'scored',
    success: false,
    terminateReason: verdict.terminateReason,
    reason: proposals.length === 0 ? `${verdict.terminateReason}; no solution proposed` : `${verdict.terminateReason}; every proposal is rejected`,
    proposals,
  };
}

function shownDiffers(recorded: ProposeEvent, now: Awaited<ReturnType<Rejudge>>): boolean {
  return (recorded.error ?? null) !== (now.error ?? null) || (recorded.observation ?? null) !== (now.observation ?? null) || (recorded.reward ?? null) !== (now.reward ?? null);
}
