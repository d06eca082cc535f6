import type { StartRunCommand } from '../../runs/start-run/start-run.command';

/**
 * A request to evaluate a model on a named suite: the run settings apply to every member, `limit` caps each
 * benchmark's items (0 = all), and a feedback model adds the suite's feedback members.
 */
export type StartSuiteCommand = Omit<StartRunCommand, 'benchmark' | 'scheduleId' | 'suiteRunId'> & { suite: string };
