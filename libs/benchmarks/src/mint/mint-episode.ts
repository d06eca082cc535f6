import { type ChatMessage } from '../benchmark';
import { MINT_DEFAULT_BUDGET, type MintBudget, renderMintFeedbackPrompt, renderMintFirstMessage, renderMintObservation } from './mint-prompt';
import { type MintItem, pyStrip } from './mint-tasks';
import { MINT_INVALID_INPUT_MESSAGE } from './mint-templates';

/** Why an episode ended, with upstream's names (State.terminate_reason). */
export type MintTerminateReason = 'task_success' | 'max_propose_steps' | 'max_steps' | 'error';

/** What the caller must do next to move the episode on. */
export type MintNext =
  | { kind: 'model'; messages: ChatMessage[] }
  /** Run `code` in the episode's persistent Python session and pass its output to `submitExecution`. */
  | { kind: 'execute'; code: string }
  /** Score `solution` (see `judgeMintSolution`) and pass the verdict to `submitJudgement`. */
  | { kind: 'judge'; solution: string }
  /** Ask the feedback model with `prompt` (MINT_FEEDBACK_SAMPLING) and pass its reply to `submitFeedback`. */
  | { kind: 'feedback'; prompt: ChatMessage }
  | { kind: 'done'; success: boolean; terminateReason: MintTerminateReason };

/** How a model turn was read (GeneralEnv.parse_action plus LMAgent.lm_output_to_action). */
export type MintParsedTurn =
  | { action: 'execute'; code: string; thought: string | null }
  | { action: 'propose'; solution: string; thought: string | null }
  | { action: 'invalid'; proposal: boolean; thought: string | null };

/** One model turn as the transcript records it. */
export interface MintTurnRecord {
  modelOutput: string;
  parsed: MintParsedTurn;
  /** The observation text before rendering: tool output, error, INVALID_INPUT, or null after a proposal. */
  observation?: string | null;
  judgement?: { success: boolean; error?: string };
  feedback?: string;
  /** The user message the environment answered with; absent when the episode ended on this turn. */
  userMessage?: string;
}

/** Upstream's action counters (State.agent_action_count). */
export interface MintActionCount {
  proposeSolution: number;
  useTool: number;
  invalidAction: number;
}

/** Options of one episode: the budget and whether a feedback model comments each turn (MINT's no_GT textual). */
export interface MintEpisodeOptions {
  budget?: MintBudget;
  feedback?: boolean;
}

const SOLUTION = /<solution>(.*?)<\/solution>/gs;
const EXECUTE = /<execute>(.*?)<\/execute>/gs;
const THOUGHT = /<thought>(.*?)<\/thought>/gs;

// re.findall over "\n" + output + "\n", each match stripped, joined by newlines (general_env.py parse_action).
function findJoined(pattern: RegExp, text: string): string {
  return [...`\n${text}\n`.matchAll(pattern)].map((m) => pyStrip(m[1] ?? '')).join('\n');
}

/**
 * Reads a model turn as MINT does: any "<solution>" in the text makes it a proposal (even with <execute> present);
 * otherwise it is a code action. Empty tag content (or no closed tag) is invalid input.
 */
export function parseMintTurn(output: string): MintParsedTurn {
  const thoughtText = findJoined(THOUGHT, output);
  const thought = thoughtText === '' ? null : thoughtText;
  if (output.includes('<solution>')) {
    const solution = findJoined(SOLUTION, output);
    return solution === '' ? { action: 'invalid', proposal: true, thought } : { action: 'propose', solution, thought };
  }
  const code = findJoined(EXECUTE, output);
  return code === '' ? { action: 'invalid', proposal: false, thought } : { action: 'execute', code, thought };
}

const MAX_REPL_OUTPUT = 2000;

/**
 * Appends the model's reply to the history as MINT's agents do (an "Assistant:" prefix unless the reply starts with
 * one, and a trailing newline; an empty reply adds nothing) and returns the reply parsed.
 */
export function recordMintModelTurn(history: ChatMessage[], output: string): MintParsedTurn {
  if (output !== '') {
    const content = output.replace(/^\s+/, '').startsWith('Assistant:') ? output : `Assistant:\n${output}`;
    history.push({ role: 'assistant', content: `${content}\n` });
  }
  return parseMintTurn(output);
}

/** PythonREPL's output rules (mint/tools/python_tool.py): a placeholder for no output, truncation at 2000 characters. */
export function formatMintReplOutput(stdout: string): string {
  let output = stdout === '' ? '[Executed Successfully with No Output]' : stdout;
  output = output.replace(/File (.*)mint\/tools\/python_tool.py:(\d+)/g, 'File <hidden_filepath>:$1');
  return output.length > MAX_REPL_OUTPUT ? `${output.slice(0, MAX_REPL_OUTPUT)}...\n[Output Truncated]` : output;
}

type Phase = 'model' | 'execute' | 'judge' | 'feedback' | 'done';

/**
 * One MINT episode as a pure state machine (port of GeneralEnv.step/reset): the caller asks `next()` and answers it
 * (model turn, code output, verdict, feedback); the episode keeps the chat history byte-compatible with MINT's
 * `state.history` and ends on success, when proposals reach the maximum, or when all steps are used.
 */
export class MintEpisode {
  readonly history: ChatMessage[];
  readonly turns: MintTurnRecord[] = [];
  readonly actionCount: MintActionCount = { proposeSolution: 0, useTool: 0, invalidAction: 0 };
  private readonly budget: MintBudget;
  private readonly feedback: boolean;
  private phase: Phase = 'model';
  private pending: MintNext | undefined;
  private pendingObservation: string | null = null;
  private finished = false;
  private succeeded = false;
  private reason: MintTerminateReason | undefined;
  private failure: string | undefined;

  constructor(
    readonly item: MintItem,
    options: MintEpisodeOptions = {},
  ) {
    this.budget = options.budget ?? MINT_DEFAULT_BUDGET;
    this.feedback = options.feedback ?? false;
    this.history = [renderMintFirstMessage(item, this.budget, this.feedback)];
  }

  /** Whether the episode has ended, and how. */
  get state(): { finished: boolean; success: boolean; terminateReason?: MintTerminateReason; error?: string } {
    return { finished: this.finished, success: this.succeeded, terminateReason: this.reason, error: this.failure };
  }

  /** What the caller must do now. */
  next(): MintNext {
    if (this.phase === 'done') return { kind: 'done', success: this.succeeded, terminateReason: this.reason! };
    if (this.phase === 'model') return { kind: 'model', messages: this.history.map((m) => ({ ...m })) };
    return this.pending!;
  }

  /**
   * The evaluated model's reply to `next().messages`. Pass it as the agent class being reproduced would: VLLMAgent
   * (Lemur's) right-strips the reply first, OpenAILMAgent does not (no published Lemur turn ends in whitespace; 588
   * gpt-3.5 turns do).
   */
  submitModelTurn(output: string): void {
    this.expectPhase('model');
    const parsed = recordMintModelTurn(this.history, output);
    this.turns.push({ modelOutput: output, parsed });
    switch (parsed.action) {
      case 'execute':
        this.phase = 'execute';
        this.pending = { kind: 'execute', code: parsed.code };
        return;
      case 'propose':
        this.actionCount.proposeSolution += 1;
        this.phase = 'judge';
        this.pending = { kind: 'judge', solution: parsed.solution };
        return;
      case 'invalid':
        // A proposal without a closed <solution> still uses up a proposal; a turn without code counts as invalid.
        if (parsed.proposal) this.actionCount.proposeSolution += 1;
        else this.actionCount.invalidAction += 1;
        this.completeStep(MINT_INVALID_INPUT_MESSAGE);
    }
  }

  /** The model call failed (e.g. the context window was exceeded): the episode ends unsuccessfully, as upstream. */
  submitModelError(error: string): void {
    this.expectPhase('model');
    this.finished = true;
    this.succeeded = false;
    this.failure = error;
    this.reason = 'error';
    this.phase = 'done';
  }

  /** The Python session's output for the pending code (already formatted, see `formatMintReplOutput`). */
  submitExecution(output: string): void {
    this.expectPhase('execute');
    this.actionCount.useTool += 1;
    this.completeStep(pyStrip(output));
  }

  /** The scorer's verdict on the pending proposal; a scorer error becomes the observation, as upstream. */
  submitJudgement(judgement: { success: boolean; error?: string }): void {
    this.expectPhase('judge');
    this.current().judgement = judgement;
    if (judgement.error !== undefined) {
      this.completeStep(judgement.error);
      return;
    }
    if (judgement.success) {
      this.finished = true;
      this.succeeded = true;
      this.reason = 'task_success';
    }
    this.completeStep(null);
  }

  /** The feedback model's reply for the pending step. */
  submitFeedback(feedback: string): void {
    this.expectPhase('feedback');
    this.current().feedback = feedback;
    this.logOutput(this.pendingObservation, feedback);
  }

  private completeStep(observation: string | null): void {
    this.current().observation = observation;
    this.checkMaxIteration();
    if (!this.finished && this.feedback) {
      this.pendingObservation = observation;
      const withoutFeedback = renderMintObservation({ observation, success: this.succeeded, turnInfo: this.turnInfo() });
      this.phase = 'feedback';
      this.pending = { kind: 'feedback', prompt: renderMintFeedbackPrompt({ task: this.item.task, history: this.history, observation: withoutFeedback }) };
      return;
    }
    this.logOutput(observation, '');
  }

  private logOutput(observation: string | null, feedback: string): void {
    this.pending = undefined;
    if (this.finished) {
      this.phase = 'done';
      return;
    }
    const content = renderMintObservation({ observation, success: this.succeeded, turnInfo: this.turnInfo(), feedback });
    this.history.push({ role: 'user', content });
    this.current().userMessage = content;
    this.phase = 'model';
  }

  private checkMaxIteration(): void {
    if (this.finished) return;
    if (this.actionCount.proposeSolution >= this.budget.maxProposeSolution) {
      this.finished = true;
      this.reason = 'max_propose_steps';
    } else if (this.actionsTaken() >= this.budget.maxSteps) {
      this.finished = true;
      this.reason = 'max_steps';
    }
  }

  private actionsTaken(): number {
    return this.actionCount.proposeSolution + this.actionCount.useTool + this.actionCount.invalidAction;
  }

  private turnInfo(): [number, number] {
    return [this.budget.maxSteps - this.actionsTaken(), this.budget.maxProposeSolution - this.actionCount.proposeSolution];
  }

  private current(): MintTurnRecord {
    return this.turns.at(-1)!;
  }

  private expectPhase(phase: Phase): void {
    if (this.phase !== phase) throw new Error(`MintEpisode ${this.item.id}: expected a ${phase} step but the episode is at ${this.phase}`);
  }
}
