import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ChatMessage } from '../benchmark';
import { SHARED_DATASETS_DIR } from '../testing/shared-datasets';
import { type MintTaskName } from './mint-tasks';

export { modelOutputOf, parseObservationTurn } from './mint-published-history';

// Test support (not exported from the library): reads MINT's published trajectories from the shared datasets folder.

/** One row of a published results.jsonl. */
export interface PublishedEpisode {
  taskId: number;
  /** The task text the run used (`task.prompt`, as the task class rendered it). */
  taskPrompt: string;
  history: ChatMessage[];
  success: boolean;
  terminateReason: string;
  error: string | null;
}

/** A published run directory, e.g. lemur-70b-chat-v1 / F=None/max5_p2+tool+cd. */
export interface PublishedRun {
  model: string;
  setting: string;
  feedback: boolean;
  maxSteps: number;
  maxProposeSolution: number;
}

const OUTPUTS = join(SHARED_DATASETS_DIR, 'mint-bench/data/outputs');
const MODELS = ['lemur-70b-chat-v1', 'lemur-70b-v1', 'gpt-3.5-turbo-0613'];
const SETTINGS = ['F=None/max5_p2+tool+cd', 'F=gpt-4-0613/PHF=no_GT-textual/max5_p2+tool+cd', 'F=None/max1_p1+tool+cd'];

/** Every published run present in the shared copy. */
export function publishedRuns(): PublishedRun[] {
  return MODELS.flatMap((model) =>
    SETTINGS.filter((setting) => existsSync(join(OUTPUTS, model, setting))).map((setting) => {
      const budget = /max(\d+)_p(\d+)/.exec(setting)!;
      return { model, setting, feedback: setting.startsWith('F=gpt-4'), maxSteps: Number(budget[1]), maxProposeSolution: Number(budget[2]) };
    }),
  );
}

/** The episodes of one task in one run. */
export function readPublishedEpisodes(run: PublishedRun, task: MintTaskName): PublishedEpisode[] {
  const type = task === 'humaneval' || task === 'mbpp' ? 'code_generation' : 'reasoning';
  const file = join(OUTPUTS, run.model, run.setting, type, task, 'results.jsonl');
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((line) => {
      const row = JSON.parse(line) as {
        state: { history: ChatMessage[]; success: boolean; terminate_reason: string; error: string | null };
        task: { task_id: number; prompt: string };
      };
      return { taskId: row.task.task_id, taskPrompt: row.task.prompt, history: row.state.history, success: row.state.success, terminateReason: row.state.terminate_reason, error: row.state.error };
    });
}
