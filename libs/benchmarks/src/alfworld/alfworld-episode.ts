import { type AgentEpisode, type AgentStep, type ChatMessage } from '../benchmark';
import { type EnvironmentOutcome } from '../environment/environment-protocol';
import { recordMintModelTurn, type MintActionCount, type MintParsedTurn, type MintTerminateReason } from '../mint/mint-episode';
import { MINT_DEFAULT_BUDGET, type MintBudget, mintToolsetDescription, pyFormat, renderMintObservation } from '../mint/mint-prompt';
import { pyStrip } from '../mint/mint-tasks';
import { MINT_INVALID_INPUT_MESSAGE, MINT_TOOL_PROMPT_TEMPLATE } from '../mint/mint-templates';
import { alfworldTaskPrompt, type AlfworldItem } from './alfworld-tasks';
import { ALFWORLD_EXAMPLES } from './alfworld-templates';
import { ALFWORLD_MINT_TOOLS } from './alfworld-tools';

/** One model turn of an ALFWorld episode as the transcript records it. */
export interface AlfworldTurnRecord {
  modelOutput: string;
  parsed: MintParsedTurn;
  observation?: string | null;
  environment?: EnvironmentOutcome;
  judgement?: { success: boolean };
}

/** The first user message of an ALFWorld episode: MINT's template, the 11 tools, the task type's example, the task. */
export function renderAlfworldFirstMessage(item: Pick<AlfworldItem, 'taskType'>, resetObservation: string, budget: MintBudget = MINT_DEFAULT_BUDGET): ChatMessage {
  const content = pyFormat(MINT_TOOL_PROMPT_TEMPLATE, {
    max_total_steps: budget.maxSteps,
    max_propose_solution: budget.maxProposeSolution,
    tool_desc: mintToolsetDescription(ALFWORLD_MINT_TOOLS),
    in_context_example: ALFWORLD_EXAMPLES[item.taskType],
    // AlfWorldTask keeps prompt.strip().
    task_prompt: `Task:\n${pyStrip(alfworldTaskPrompt(resetObservation))}`,
  });
  return { role: 'user', content };
}

type Phase = 'model' | 'execute' | 'done';

/**
 * A MINT ALFWorld episode (GeneralEnv.step with AlfworldEnv's overrides): success is the environment's, never the
 * proposal's. After each `<execute>` cell the episode ends as `task_success` if any tool call so far reported `done`
 * (AlfworldEnv.check_task_success over its action results); a `<solution>` is judged by the same test, here, without
 * a judge step.
 */
export class AlfworldEpisode implements AgentEpisode {
  readonly history: ChatMessage[];
  readonly turns: AlfworldTurnRecord[] = [];
  readonly actionCount: MintActionCount = { proposeSolution: 0, useTool: 0, invalidAction: 0 };
  private phase: Phase = 'model';
  private pendingCode = '';
  private environmentDone = false;
  private finished = false;
  private succeeded = false;
  private reason: MintTerminateReason | undefined;

  constructor(
    readonly item: AlfworldItem,
    resetObservation: string,
    private readonly budget: MintBudget = MINT_DEFAULT_BUDGET,
  ) {
    this.history = [renderAlfworldFirstMessage(item, resetObservation, budget)];
  }

  next(): AgentStep {
    switch (this.phase) {
      case 'done':
        return { kind: 'done', success: this.succeeded, terminateReason: this.reason! };
      case 'model':
        return { kind: 'model', messages: this.history.map((m) => ({ ...m })) };
      case 'execute':
        return { kind: 'execute', code: this.pendingCode };
    }
  }

  submitModelTurn(output: string): void {
    this.expectPhase('model');
    const parsed = recordMintModelTurn(this.history, output);
    this.turns.push({ modelOutput: output, parsed });
    switch (parsed.action) {
      case 'execute':
        this.phase = 'execute';
        this.pendingCode = parsed.code;
        return;
      case 'propose': {
        this.actionCount.proposeSolution += 1;
        const success = this.environmentDone;
        this.current().judgement = { success };
        if (success) this.finish(true, 'task_success');
        this.completeStep(null);
        return;
      }
      case 'invalid':
        if (parsed.proposal) this.actionCount.proposeSolution += 1;
        else this.actionCount.invalidAction += 1;
        this.completeStep(MINT_INVALID_INPUT_MESSAGE);
    }
  }

  submitModelError(): void {
    this.expectPhase('model');
    this.finish(false, 'error');
    this.phase = 'done';
  }

  /** The cell's output and what the environment reported while it ran (absent: no tool was called). */
  submitExecution(output: string, environment?: EnvironmentOutcome): void {
    this.expectPhase('execute');
    this.actionCount.useTool += 1;
    if (environment !== undefined) this.current().environment = environment;
    if (environment?.done === true) this.environmentDone = true;
    if (this.environmentDone) this.finish(true, 'task_success');
    this.completeStep(pyStrip(output));
  }

  submitJudgement(): void {
    throw new Error(`AlfworldEpisode ${this.item.id}: the environment judges ALFWorld, there is no judge step`);
  }

  submitFeedback(): void {
    throw new Error(`AlfworldEpisode ${this.item.id}: feedback is not supported for ALFWorld yet`);
  }

  private finish(success: boolean, reason: MintTerminateReason): void {
    this.finished = true;
    this.succeeded = success;
    this.reason = reason;
  }

  private completeStep(observation: string | null): void {
    this.current().observation = observation;
    if (!this.finished) {
      if (this.actionCount.proposeSolution >= this.budget.maxProposeSolution) this.finish(false, 'max_propose_steps');
      else if (this.actionsTaken() >= this.budget.maxSteps) this.finish(false, 'max_steps');
    }
    if (this.finished) {
      this.phase = 'done';
      return;
    }
    const turnInfo: [number, number] = [this.budget.maxSteps - this.actionsTaken(), this.budget.maxProposeSolution - this.actionCount.proposeSolution];
    this.history.push({ role: 'user', content: renderMintObservation({ observation, success: this.succeeded, turnInfo }) });
    this.phase = 'model';
  }

  private actionsTaken(): number {
    return this.actionCount.proposeSolution + this.actionCount.useTool + this.actionCount.invalidAction;
  }

  private current(): AlfworldTurnRecord {
    return this.turns.at(-1)!;
  }

  private expectPhase(phase: Phase): void {
    if (this.phase !== phase) throw new Error(`AlfworldEpisode ${this.item.id}: expected a ${phase} step but the episode is at ${this.phase}`);
  }
}
