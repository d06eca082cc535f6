import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ChatMessage } from '../benchmark';
import { SHARED_DATASETS_DIR } from '../testing/shared-datasets';
import { type MintTaskName } from './mint-tasks';

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

/** The model's own text of an assistant turn (GeneralEnv.step prefixes "Assistant:\n" and appends "\n"). */
export function modelOutputOf(turn: ChatMessage): string {
  const body = turn.content.endsWith('\n') ? turn.content.slice(0, -1) : turn.content;
  return body.startsWith('Assistant:\n') ? body.slice('Assistant:\n'.length) : body;
}

/** Splits a published user turn back into the observation and the expert feedback it was rendered from. */
export function parseObservationTurn(content: string): { observation: string; feedback: string } | undefined {
  const m = /^Observation:\n([\s\S]*)You have \d+ steps left and \d+ chances to propose solution left\.\n(?:You should take the last step to propose a solution\.\n)?(?:\nExpert feedback:\n([\s\S]*)\n)?$/.exec(
    content,
  );
  if (m === null) return undefined;
  const observation = m[1]!;
  return { observation: observation.endsWith('\n') ? observation.slice(0, -1) : observation, feedback: m[2] ?? '' };
}
