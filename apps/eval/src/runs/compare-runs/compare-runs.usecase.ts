import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { RunStore, SampleStore } from '../run-store';
import { compareRunRecords, type RunComparisonData } from './run-comparison';

/** Compares two of a team's runs; another team's run is NOT_FOUND, like a missing one. */
export class CompareRunsUseCase {
  constructor(
    private readonly runs: RunStore,
    private readonly samples: SampleStore,
  ) {}

  async execute(cmd: { team: string; runA: string; runB: string }): Promise<RunComparisonData> {
    const teamId = await this.runs.ensureTeam(cmd.team);
    const [a, b] = await Promise.all([this.runs.findForTeam(teamId, cmd.runA), this.runs.findForTeam(teamId, cmd.runB)]);
    if (!a) throw new PlatformError(PlatformErrorCode.RUN_NOT_FOUND, `run ${cmd.runA} not found`, { field: 'run_a' });
    if (!b) throw new PlatformError(PlatformErrorCode.RUN_NOT_FOUND, `run ${cmd.runB} not found`, { field: 'run_b' });
    const [rowsA, rowsB] = await Promise.all([this.samples.itemScores(a.id), this.samples.itemScores(b.id)]);
    return compareRunRecords(a, b, rowsA, rowsB);
  }
}
