import type { RunConfigData } from '../runs/run.types';

/** Why a member has (or has no) run: started, skipped (data or environment missing) or unavailable (id not registered). */
export type SuiteMemberStateName = 'STARTED' | 'SKIPPED' | 'UNAVAILABLE';

/** One member of a suite run as stored, in the suite's order. */
export interface SuiteMemberRecord {
  key: string;
  benchmark: string;
  feedback: boolean;
  state: SuiteMemberStateName;
  /** Set when started. */
  runId?: string;
  /** Set when skipped or unavailable: the exact reason, e.g. the loader's message naming the missing file. */
  reason?: string;
}

/** A model evaluated on a named suite in one command. */
export interface SuiteRunRecord {
  id: string;
  teamId: string;
  name: string;
  modelName: string;
  config: RunConfigData;
  members: SuiteMemberRecord[];
  createdAt: Date;
}

/** Persistence of suite runs (implemented over Prisma by SuiteRunRepository). */
export interface SuiteRunStore {
  create(run: { teamId: string; name: string; modelName: string; config: RunConfigData }): Promise<SuiteRunRecord>;
  setMembers(id: string, members: readonly SuiteMemberRecord[]): Promise<void>;
  /** Removes a suite run that started nothing (its start failed validation). */
  delete(id: string): Promise<void>;
  findForTeam(teamId: string, id: string): Promise<SuiteRunRecord | null>;
}
