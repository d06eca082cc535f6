import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import type { SampleQueue } from '../../queue/sample-queue';
import type { RunDependents, RunStore } from '../run-store';
import type { RunRecord } from '../run.types';

/** Which run to delete, for which team. */
export interface DeleteRunCommand {
  team: string;
  runId: string;
}

/**
 * Why a run may not be deleted now, as the error the caller gets; nothing when it may. Checked under the run's row lock,
 * so what it saw still holds when the run is deleted.
 */
function refuseDeletion({ run, baselineOf, activeRescores }: RunDependents): void {
  if (run.status === 'QUEUED' || run.status === 'RUNNING') {
    throw new PlatformError(
      PlatformErrorCode.RUN_STATE_CONFLICT,
      `run ${run.id} is still ${run.status.toLowerCase()}; cancel it first (lemur runs cancel ${run.id}), then delete it`,
    );
  }
  // A schedule cannot be edited, and one whose baseline vanished would compare nothing: the owner decides, not we.
  const [schedule, ...more] = baselineOf;
  if (schedule) {
    throw new PlatformError(
      PlatformErrorCode.RUN_STATE_CONFLICT,
      `run ${run.id} is the baseline of schedule "${schedule.name}" (${schedule.id})${more.length ? ` and ${more.length} other(s): ${more.map((s) => `"${s.name}"`).join(', ')}` : ''}; its runs are compared to it. Delete the schedule first (lemur schedules delete ${schedule.id}), or create it again with another baseline`,
    );
  }
  const [rescore] = activeRescores;
  if (rescore) {
    throw new PlatformError(
      PlatformErrorCode.RUN_STATE_CONFLICT,
      `run ${run.id} is being re-scored by run ${rescore.id} (${rescore.status.toLowerCase()}), which reads its samples; wait for it to finish or cancel it (lemur runs cancel ${rescore.id}), then delete this run`,
    );
  }
}

/**
 * Deletes a finished or cancelled run of the caller's team with all its samples, atomically. Re-scoring runs made from
 * it are kept (their samples hold copies of its outputs) and lose only their link to it; a suite run keeps its member
 * with the reason it has no run.
 */
export class DeleteRunUseCase {
  constructor(
    private readonly runs: Pick<RunStore, 'ensureTeam' | 'deleteForTeam'>,
    private readonly queue: Pick<SampleQueue, 'drop'>,
    private readonly logger: Logger,
  ) {}

  async execute(cmd: DeleteRunCommand): Promise<{ run: RunRecord; deletedSamples: number }> {
    const teamId = await this.runs.ensureTeam(cmd.team);
    const deleted = await this.runs.deleteForTeam({ id: cmd.runId, teamId }, refuseDeletion);
    // Another team's run is reported exactly like a missing one, so existence does not leak.
    if (!deleted) throw new PlatformError(PlatformErrorCode.RUN_NOT_FOUND, `run ${cmd.runId} not found`, { field: 'id' });
    // A finished run's queue went when it finished; a cancelled run's may still hold jobs, which no worker fetches (they
    // serve active runs only) and one fetched before the cancel finds no sample to claim. drop() logs its own failure.
    await this.queue.drop(deleted.run.id);
    this.logger.info({ runId: deleted.run.id, samples: deleted.deletedSamples, status: deleted.run.status }, 'run deleted');
    return deleted;
  }
}
