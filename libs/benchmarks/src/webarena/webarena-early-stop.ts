import { sameWebarenaAction, type WebarenaAction } from './webarena-action';

/** run.py's limits: `--max_steps 30`, `--parsing_failure_th 3`, `--repeating_action_failure_th 3`. */
export interface WebarenaLimits {
  maxSteps: number;
  parsingFailure: number;
  repeatingAction: number;
}

/** The defaults of run.py, which Lemur's published command leaves as they are. */
export const WEBARENA_LIMITS: WebarenaLimits = { maxSteps: 30, parsingFailure: 3, repeatingAction: 3 };

/** Why an episode was stopped for the model: the rule, and upstream's text, which becomes the stop's answer. */
export interface WebarenaEarlyStop {
  rule: 'max_steps' | 'parsing_failure' | 'repeating_action';
  info: string;
}

/**
 * run.py's early_stop, checked before each model turn over the actions taken so far (`none` included, the final stop
 * not): the step limit, then `parsingFailure` unparseable answers in a row, then the same action `repeatingAction`
 * times in a row, or, for typing, the same typing action that many times anywhere in the episode.
 */
export function webarenaEarlyStop(actions: readonly WebarenaAction[], limits: WebarenaLimits = WEBARENA_LIMITS): WebarenaEarlyStop | null {
  if (actions.length >= limits.maxSteps) return { rule: 'max_steps', info: `Reach max steps ${limits.maxSteps}` };
  const lastFailures = actions.slice(-limits.parsingFailure);
  if (lastFailures.length >= limits.parsingFailure && lastFailures.every((a) => a.type === 'none')) {
    return { rule: 'parsing_failure', info: `Failed to parse actions for ${limits.parsingFailure} times` };
  }
  const last = actions.at(-1);
  if (last === undefined) return null;
  const k = limits.repeatingAction;
  if (last.type !== 'type') {
    const lastK = actions.slice(-k);
    if (lastK.length >= k && lastK.every((a) => sameWebarenaAction(a, last))) return { rule: 'repeating_action', info: `Same action for ${k} times` };
  } else if (actions.filter((a) => sameWebarenaAction(a, last)).length >= k) {
    return { rule: 'repeating_action', info: `Same typing action for ${k} times` };
  }
  return null;
}
