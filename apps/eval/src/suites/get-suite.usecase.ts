import { findSuite, suiteAxes, type SuiteAxisResult, type SuiteMemberScore } from '@lemur/benchmarks';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import type { RunFinalizer } from '../runs/run-finalizer';
import type { RunStore } from '../runs/run-store';
import type { RunSummaryData } from '../runs/run-summary';
import type { RunRecord } from '../runs/run.types';
import type { SuiteMemberRecord, SuiteRunRecord, SuiteRunStore } from './suite-run.types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A member with its run and that run's summary (stored when finished, live otherwise). */
export interface SuiteMemberView extends SuiteMemberRecord {
  run?: RunRecord;
  summary?: RunSummaryData | null;
}

/** A suite run as GetSuite shows it: members in order with their runs, and the aggregate axes. */
export interface SuiteRunView {
  suiteRun: SuiteRunRecord;
  members: SuiteMemberView[];
  axes: SuiteAxisResult[];
}

/** The headline score of a finished run: accuracy (success rate) or pass@1, over the items it scored. */
function memberScore(member: SuiteMemberView): SuiteMemberScore {
  const metric = member.run?.status === 'SUCCEEDED' ? member.summary?.metrics.find((m) => m.name === 'accuracy' || m.name === 'pass@1') : undefined;
  return { key: member.key, value: metric?.value ?? null, n: metric?.n ?? 0 };
}

/** Reads a suite run with its members' runs and computes the suite's axes from the finished ones. */
export class GetSuiteUseCase {
  constructor(
    private readonly suiteRuns: SuiteRunStore,
    private readonly runs: RunStore,
    private readonly finalizer: RunFinalizer,
  ) {}

  async execute(team: string, id: string): Promise<SuiteRunView> {
    if (!team) throw PlatformError.invalid('team', 'is required');
    if (!UUID.test(id)) throw PlatformError.invalid('id', 'must be a suite run id (UUID)');
    const teamId = await this.runs.ensureTeam(team);
    const suiteRun = await this.suiteRuns.findForTeam(teamId, id);
    // Another team's suite run is reported exactly like a missing one.
    if (!suiteRun) throw new PlatformError(PlatformErrorCode.RUN_NOT_FOUND, `suite run ${id} not found`, { field: 'id' });
    return this.view(suiteRun);
  }

  /** The view of a suite run just read or created. */
  async view(suiteRun: SuiteRunRecord): Promise<SuiteRunView> {
    const members = await Promise.all(
      suiteRun.members.map(async (m): Promise<SuiteMemberView> => {
        if (m.runId === undefined) return m;
        const run = await this.runs.findById(m.runId);
        if (!run) return m;
        const final = run.status === 'SUCCEEDED' || run.status === 'FAILED';
        const summary = (final ? (run.summary as RunSummaryData | null) : null) ?? (await this.finalizer.liveSummary(run));
        return { ...m, run, summary };
      }),
    );
    const suite = findSuite(suiteRun.name);
    return { suiteRun, members, axes: suite ? suiteAxes(suite, members.map(memberScore)) : [] };
  }
}
