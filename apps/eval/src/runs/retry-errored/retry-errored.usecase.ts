import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { Logger } from '@lemur/shared-logging';
import type { SampleQueue } from '../../queue/sample-queue';
import type { RunStore } from '../run-store';
import type { RunRecord } from '../run.types';

/** Whose run to retry. */
export interface RetryErroredCommand {
  team: string;
  runId: string;
}

/**
 * Retries a finished run's errored samples (endpoint or sandbox failures): they go back to pending with a fresh attempt
 * budget and are queued for the workers; scored samples are not touched. The run runs again until they are done, and
 * its summary is recomputed when it finishes. Only finished runs: a running run's errors are retried once it is done,
 * so a worker closing the run can never race with its reopening.
 */
export class RetryErroredUseCase {
  constructor(
    private readonly runs: RunStore,
    private readonly queue: Pick<SampleQueue, 'requeue'>,
    private readonly logger: Logger,
  ) {}

  async execute(cmd: RetryErroredCommand): Promise<{ run: RunRecord; retried: number }> {
    const teamId = await this.runs.ensureTeam(cmd.team);
    const run = await this.runs.findForTeam(teamId, cmd.runId);
    if (!run) throw new PlatformError(PlatformErrorCode.RUN_NOT_FOUND, `run ${cmd.runId} not found`, { field: 'id' });
    if (run.status === 'QUEUED' || run.status === 'RUNNING') {
      throw new PlatformError(PlatformErrorCode.RUN_STATE_CONFLICT, `run ${run.id} is still ${run.status.toLowerCase()}; retry its errored samples once it has finished`);
    }
    if (run.status === 'CANCELLED') {
      throw new PlatformError(PlatformErrorCode.RUN_STATE_CONFLICT, `run ${run.id} was cancelled and is not resumed; start a new run instead`);
    }
    const sampleIds = await this.runs.reopenErrored(run.id);
    if (sampleIds.length === 0) {
      throw new PlatformError(PlatformErrorCode.RUN_STATE_CONFLICT, `run ${run.id} has no errored samples to retry`);
    }
    try {
      await this.queue.requeue(run.id, sampleIds);
    } catch (err) {
      // The samples are pending again and the run is active; the workers' reconciler queues pending samples with no job.
      this.logger.error({ err, runId: run.id }, 'queueing retried samples failed; the reconciler will queue them');
    }
    this.logger.info({ runId: run.id, retried: sampleIds.length }, 'errored samples queued again');
    const reopened = await this.runs.findById(run.id);
    if (!reopened) throw new PlatformError(PlatformErrorCode.INTERNAL, `run ${run.id} vanished while its errors were retried`);
    return { run: reopened, retried: sampleIds.length };
  }
}
