import { createHash } from 'node:crypto';
import { resolve } from 'node:path';

/** A model served by the local simulator: the name users type, the name the simulator serves, and its answer mode. */
export interface SimModel {
  name: string;
  served: string;
  mode: 'oracle' | 'wrong' | 'echo' | 'scripted' | 'replay';
  /** The scripted rules file, or the published run directory a replay model answers from. */
  rulesFile?: string;
}

/** The simulator models every local platform serves. */
export const BUILTIN_SIM_MODELS: SimModel[] = [
  { name: 'sim:oracle', served: 'sim-oracle', mode: 'oracle' },
  { name: 'sim:wrong', served: 'sim-wrong', mode: 'wrong' },
  { name: 'sim:echo', served: 'sim-echo', mode: 'echo' },
];

/**
 * Parses `sim:oracle`, `sim:wrong`, `sim:echo`, `sim:scripted=FILE` or `sim:replay=DIR` (a published MINT run directory,
 * e.g. .../lemur-70b-chat-v1/F=None/max5_p2+tool+cd); undefined for names that are not simulator models.
 */
export function parseSimModel(name: string, cwd: string): SimModel | undefined {
  const builtin = BUILTIN_SIM_MODELS.find((m) => m.name === name);
  if (builtin) return builtin;
  const scripted = /^sim:scripted=(.+)$/.exec(name);
  if (scripted) {
    const rulesFile = resolve(cwd, scripted[1]!);
    const served = `sim-scripted-${createHash('sha256').update(rulesFile).digest('hex').slice(0, 8)}`;
    return { name, served, mode: 'scripted', rulesFile };
  }
  const replay = /^sim:replay=(.+)$/.exec(name);
  if (replay) {
    const runDir = resolve(cwd, replay[1]!);
    const served = `sim-replay-${createHash('sha256').update(runDir).digest('hex').slice(0, 8)}`;
    return { name, served, mode: 'replay', rulesFile: runDir };
  }
  if (name.startsWith('sim:')) {
    throw new Error(`unknown simulator model "${name}": use sim:oracle, sim:wrong, sim:echo, sim:scripted=FILE or sim:replay=DIR`);
  }
  return undefined;
}

/** The simulator's `--model` flag for a model. */
export function simFlag(model: SimModel): string {
  return model.mode === 'scripted' || model.mode === 'replay' ? `${model.served}=${model.mode}:${model.rulesFile}` : `${model.served}=${model.mode}`;
}
