import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePublishedAlfworldRow, RecordedAlfworldRun, TINY_HOUSEHOLD_TASKS, TinyHousehold, type PublishedAlfworldEpisode } from '@lemur/benchmarks';
import type { EnvironmentBackend } from './environment-server';

const ALFWORLD_RESULTS = 'decision_making/alfworld/results.jsonl';

/** The published ALFWorld episodes of one MINT run directory (e.g. .../lemur-70b-chat-v1/F=None/max5_p2+tool+cd). */
export function readPublishedAlfworldRun(runDir: string): PublishedAlfworldEpisode[] {
  const file = join(runDir, ALFWORLD_RESULTS);
  if (!existsSync(file)) throw new Error(`no published ALFWorld trajectories at ${file}; pass a MINT run directory holding ${ALFWORLD_RESULTS}`);
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return parsePublishedAlfworldRow(JSON.parse(l));
      } catch (err) {
        throw new Error(`${file} line ${i + 1}: ${(err as Error).message}`, { cause: err });
      }
    });
}

/**
 * ALFWorld served from recordings: each game answers as the published episode of `runDir` observed it, falling back
 * to what the episodes of `otherRunDirs` observed in the same game (see RecordedAlfworldGame).
 */
export function recordedAlfworldBackend(runDir: string, otherRunDirs: readonly string[] = []): EnvironmentBackend & { run: RecordedAlfworldRun } {
  const episodes = readPublishedAlfworldRun(runDir);
  const others = otherRunDirs.filter((d) => existsSync(join(d, ALFWORLD_RESULTS))).flatMap(readPublishedAlfworldRun);
  const run = new RecordedAlfworldRun(episodes, [...episodes, ...others]);
  return {
    name: 'alfworld-recorded',
    tasks: run.size,
    run,
    reset: (taskId) => {
      const { game, observation } = run.reset(taskId);
      return { observation, info: { recording: runDir }, game };
    },
  };
}

/** The tiny deterministic household (three tasks), a live game for tests and demos. */
export function tinyHouseholdBackend(): EnvironmentBackend {
  return {
    name: 'tiny-household',
    tasks: TINY_HOUSEHOLD_TASKS.length,
    reset: (taskId) => {
      const game = new TinyHousehold(taskId);
      return { observation: game.intro(), game };
    },
  };
}
