import { type AgentEpisode, type AgentStep } from '../benchmark';
import { type EnvironmentInfo, type StepResponse } from '../environment/environment-protocol';
import { formatWebarenaCommand, type WebarenaAction } from './webarena-action';
import { parseWebarenaAnswer } from './webarena-codegen';
import { WEBARENA_LIMITS, webarenaEarlyStop, type WebarenaLimits } from './webarena-early-stop';
import { describeWebarenaAction, renderWebarenaMessages } from './webarena-prompt';
import { type WebarenaItem } from './webarena-tasks';

/** How a WebArena episode ended. */
export type WebarenaTerminateReason = 'stop' | 'max_steps' | 'parsing_failure' | 'repeating_action' | 'environment_done' | 'context_exceeded';

/** One action of the episode as the protocol records it. */
export interface WebarenaTurnRecord {
  /** The model's answer; absent for the stop an early-stop rule issued. */
  modelOutput?: string;
  extracted?: string | null;
  problem?: string;
  earlyStop?: string;
  /** The /step command sent. */
  command: string;
  /** The PREVIOUS ACTION line the next turn shows. */
  previousAction: string;
  observation?: string;
  url?: string;
  reward?: number;
  done?: boolean;
  error?: string;
}

/** Where a WebArena environment server reports the page's URL (the prompt's URL line): `info.url`. */
export function webarenaUrl(info: EnvironmentInfo | undefined, what: string): string {
  const url = info?.['url'];
  if (typeof url !== 'string') {
    throw new Error(`the WebArena environment server's ${what} has no info.url; a WebArena server reports the page's URL there (docs/environment-protocol.md)`);
  }
  return url;
}

type Phase = 'model' | 'environment' | 'done';

/**
 * One WebArena task as run.py's test() loop runs it with a prompt agent: each turn shows the page, the model answers
 * with one action, the action is sent to the environment server; the episode ends at the model's stop, at an
 * early-stop rule (which itself stops, with upstream's text as the answer), or when the environment reports `done`.
 * The verdict is the environment's: the reward its evaluators give the final step (1 = solved).
 */
export class WebarenaEpisode implements AgentEpisode {
  readonly turns: WebarenaTurnRecord[] = [];
  /** Actions sent so far, `none` included, the final stop not (the trajectory early_stop reads). */
  readonly actions: WebarenaAction[] = [];
  private readonly history = ['None'];
  private observation: string;
  private url: string;
  private phase: Phase = 'model';
  /** The action to send; `ending` when it is a stop, which ends the episode whatever the environment answers. */
  private pending: { action: WebarenaAction; ending?: { reason: WebarenaTerminateReason; account: string } } | undefined;
  private verdict: { success: boolean; terminateReason: WebarenaTerminateReason; reason: string } | undefined;

  constructor(
    readonly item: WebarenaItem,
    start: { observation: string; url: string },
    private readonly limits: WebarenaLimits = WEBARENA_LIMITS,
  ) {
    this.observation = start.observation;
    this.url = start.url;
  }

  next(): AgentStep {
    switch (this.phase) {
      case 'done':
        return { kind: 'done', ...this.verdict! };
      case 'model':
        return {
          kind: 'model',
          messages: renderWebarenaMessages({ observation: this.observation, url: this.url, objective: this.item.intent, previousAction: this.history.at(-1)! }),
        };
      case 'environment':
        return { kind: 'environment', action: formatWebarenaCommand(this.pending!.action) };
    }
  }

  submitModelTurn(output: string): void {
    this.expectPhase('model');
    const parsed = parseWebarenaAnswer(output);
    const previousAction = describeWebarenaAction(parsed.action, this.observation, output);
    this.history.push(previousAction);
    this.turns.push({
      modelOutput: output,
      extracted: parsed.extracted,
      ...(parsed.problem === undefined ? {} : { problem: parsed.problem }),
      command: formatWebarenaCommand(parsed.action),
      previousAction,
    });
    const { action } = parsed;
    this.send(action, action.type === 'stop' ? { reason: 'stop', account: `the model stopped with the answer ${JSON.stringify(action.answer)}` } : undefined);
  }

  /** run.py leaves a task whose model call fails unscored; here the episode ends as failed, as a verdict is owed. */
  submitModelError(error: string): void {
    this.expectPhase('model');
    this.finish(false, 'context_exceeded', `the model call failed: ${error}`);
  }

  submitEnvironmentStep(answer: StepResponse | { error: string }): void {
    this.expectPhase('environment');
    const turn = this.turns.at(-1)!;
    const { action, ending } = this.pending!;
    this.pending = undefined;
    if ('error' in answer) {
      // A browser action that fails leaves the page as it was (ScriptBrowserEnv.step keeps it and notes fail_error).
      turn.error = answer.error;
    } else {
      // After a stop only the reward matters: the page it leaves is never shown.
      this.observation = answer.observation;
      if (ending === undefined) this.url = webarenaUrl(answer.info, '/step answer');
      Object.assign(turn, { observation: answer.observation, ...(ending === undefined ? { url: this.url } : {}), reward: answer.reward, done: answer.done });
    }
    if (ending !== undefined) {
      if ('error' in answer) return this.finish(false, ending.reason, `${ending.account}; the environment refused it: ${answer.error}`);
      return this.finish(answer.reward >= 1, ending.reason, `${ending.account}; the environment's reward is ${answer.reward}`);
    }
    this.actions.push(action);
    // An environment that terminates ends the episode with an empty stop (run.py), judged by that step's reward.
    if (!('error' in answer) && answer.done) {
      return this.finish(answer.reward >= 1, 'environment_done', `the environment ended the task after "${turn.command}"; its reward is ${answer.reward}`);
    }
    const early = webarenaEarlyStop(this.actions, this.limits);
    if (early === null) {
      this.phase = 'model';
      return;
    }
    const stop: WebarenaAction = { type: 'stop', answer: `Early stop: ${early.info}` };
    const previousAction = describeWebarenaAction(stop, this.observation, '');
    this.history.push(previousAction);
    this.turns.push({ earlyStop: early.info, command: formatWebarenaCommand(stop), previousAction });
    this.send(stop, { reason: early.rule, account: `early stop: ${early.info}` });
  }

  submitExecution(): void {
    throw new Error(`WebarenaEpisode ${this.item.id}: WebArena's actions are environment steps, there are no code cells`);
  }

  submitJudgement(): void {
    throw new Error(`WebarenaEpisode ${this.item.id}: the environment server judges WebArena, there is no judge step`);
  }

  submitFeedback(): void {
    throw new Error(`WebarenaEpisode ${this.item.id}: WebArena has no feedback mode`);
  }

  private send(action: WebarenaAction, ending: { reason: WebarenaTerminateReason; account: string } | undefined): void {
    this.pending = { action, ...(ending === undefined ? {} : { ending }) };
    this.phase = 'environment';
  }

  private finish(success: boolean, terminateReason: WebarenaTerminateReason, reason: string): void {
    this.verdict = { success, terminateReason, reason };
    this.phase = 'done';
  }

  private expectPhase(phase: Phase): void {
    if (this.phase !== phase) throw new Error(`WebarenaEpisode ${this.item.id}: got a result for the ${phase} step while waiting for the ${this.phase} step`);
  }
}
