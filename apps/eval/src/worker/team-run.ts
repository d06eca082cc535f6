import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { RunRecord } from '../runs/run.types';

/** A run with the name of its team: what a worker needs to make the run's model and sandbox calls. */
export type TeamRun = RunRecord & { teamName: string };

/** Builds a client bound to one team (a sandbox executor or session client): the worker serves many teams' runs. */
export type ForTeam<T> = (team: string) => T;

/**
 * The run with the team its calls carry: the team's name, as the gateway's own calls carry it. Inference keys its
 * INFERENCE_TEAM_LIMITS, fair queue and `team` metric labels by that name, and the sandbox its per-team session cap, so
 * the team's id (or one shared name for every team) would make a team's eval traffic a separate, unlimited "team".
 */
export function teamRunOf(run: RunRecord): TeamRun {
  const { teamName } = run;
  if (teamName === undefined || teamName === '') {
    throw new PlatformError(PlatformErrorCode.INTERNAL, `run ${run.id} was loaded without its team's name; a worker serves the runs of RunStore.listActive, which carry it`);
  }
  return { ...run, teamName };
}
