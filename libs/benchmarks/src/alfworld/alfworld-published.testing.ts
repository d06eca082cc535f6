import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHARED_DATASETS_DIR } from '../testing/shared-datasets';
import { parsePublishedAlfworldRow, type PublishedAlfworldEpisode } from './alfworld-recording';

// Test support (not exported from the library): MINT's published ALFWorld trajectories from the shared datasets folder.

const OUTPUTS = join(SHARED_DATASETS_DIR, 'mint-bench/data/outputs');

/** The no-feedback max5_p2 run of a model, or [] when the shared copy lacks it. */
export function publishedAlfworldRun(model: string, setting = 'F=None/max5_p2+tool+cd'): PublishedAlfworldEpisode[] {
  const file = join(OUTPUTS, model, setting, 'decision_making/alfworld/results.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => parsePublishedAlfworldRow(JSON.parse(l)));
}
