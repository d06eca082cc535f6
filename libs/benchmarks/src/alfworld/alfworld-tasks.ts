import { type DatasetFiles, type DatasetSpec } from '../benchmark';
import { BenchmarkErrorCode, BenchmarkException } from '../benchmark.exception';
import { datasetFile, singleFileDataset } from '../dataset/dataset-files';
import { MINT_COMMIT } from '../mint/mint-tasks';

/** MINT's six ALFWorld task types (mint/tasks/alfworld.py PREFIXES values). */
export type AlfworldTaskType = 'put' | 'clean' | 'heat' | 'cool' | 'examine' | 'puttwo';

/** One ALFWorld game of the valid_unseen split; `gamefile` is the task id an environment server resets to. */
export interface AlfworldItem {
  id: string;
  gamefile: string;
  taskType: AlfworldTaskType;
}

// Upstream order matters: "pick_two_obj" and "pick_and_place" are checked by prefix.
const PREFIXES: readonly (readonly [string, AlfworldTaskType])[] = [
  ['pick_and_place', 'put'],
  ['pick_clean_then_place', 'clean'],
  ['pick_heat_then_place', 'heat'],
  ['pick_cool_then_place', 'cool'],
  ['look_at_obj', 'examine'],
  ['pick_two_obj', 'puttwo'],
];

/** The games MINT evaluates (ReAct's 134, "eval_out_of_distribution"). */
export const ALFWORLD_GAMES = 134;

const PATH = 'data/processed/alfworld/gamefile_id.txt';

/** `mint-bench/data/processed/alfworld/gamefile_id.txt`: one `<task folder>/<trial>` per line. */
export const ALFWORLD_DATASET: DatasetSpec = singleFileDataset(
  {
    file: `mint-bench/${PATH}`,
    url: `https://raw.githubusercontent.com/xingyaoww/mint-bench/${MINT_COMMIT}/${PATH}`,
    sha256: '0ae4826ca105f91a7fabd5a2a06198bfa21796287b98b54481bdc1ee57f3f156',
  },
  // The game files themselves (json_2.1.1/valid_unseen, ~83 MB) live with the environment server, not here.
  { license: 'Apache-2.0 (MINT) / MIT (ALFWorld)', items: ALFWORLD_GAMES },
);

/** The task type of a game folder name (upstream asserts one exists). */
export function alfworldTaskType(gamefile: string): AlfworldTaskType {
  const found = PREFIXES.find(([prefix]) => gamefile.startsWith(prefix));
  if (found === undefined) throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `ALFWorld game ${gamefile} has no known task type prefix`, { gamefile });
  return found[1];
}

/** Parses gamefile_id.txt into items with ids `mint-alfworld/<gamefile>`. */
export function parseAlfworldItems(files: DatasetFiles): AlfworldItem[] {
  const file = ALFWORLD_DATASET.files[0]!.file;
  const lines = datasetFile(files, file)
    .toString('utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.length !== ALFWORLD_GAMES) {
    throw new BenchmarkException(BenchmarkErrorCode.DATASET_INVALID, `${file} lists ${lines.length} games, expected ${ALFWORLD_GAMES}`, { file });
  }
  return lines.map((gamefile) => ({ id: `mint-alfworld/${gamefile}`, gamefile, taskType: alfworldTaskType(gamefile) }));
}

/** The task text MINT builds from the environment's first observation (AlfWorldTask.load_tasks). */
export function alfworldTaskPrompt(resetObservation: string): string {
  return `Interact with a household to solve a task. \n${resetObservation}`;
}
