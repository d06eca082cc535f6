import { type AgentEpisode, type AgentStep, type ChatMessage } from '../benchmark';
import { INTERCODE_OBSERVATION_CHARS } from './intercode-prompt';
import { postProcessLemurReply } from './intercode-parsers';
import { pyStrip } from './intercode-python';
import {
  INTERCODE_CTF_BUDGET,
  INTERCODE_CTF_WRONG_FLAG,
  intercodeCtfFirstMessages,
  intercodeCtfObservationMessage,
} from './intercode-ctf-prompt';
import { type IntercodeTerminateReason, type IntercodeTurnRecord } from './intercode-episode';

const ACTION_PROMPT = 'Action:';

/**
 * How OpenLemur/intercode's HF-chat policy reads a CTF reply: it appended "Action:" to the prompt and puts "Action: "
 * back in front of the model's text, then `ctf_parser` keeps the first line and what follows "Action:" on it. Over a
 * chat API the assistant turn cannot be pre-filled, so a reply that already starts with "Action:" is not prefixed again.
 */
export function parseIntercodeCtfAction(reply: string): string {
  const text = postProcessLemurReply(reply);
  const prefixed = text.startsWith(ACTION_PROMPT) ? text : `${ACTION_PROMPT} ${text}`;
  const line = prefixed.split('\n')[0]!;
  return pyStrip(line.slice(line.indexOf(ACTION_PROMPT) + ACTION_PROMPT.length));
}

/** `CTFEnv.get_reward`'s flag: the second space-separated word of the submit action ("" when there is none). */
export function intercodeCtfSubmittedFlag(action: string): string {
  return action.split(' ')[1] ?? '';
}

/** Whether IntercodeEnv.step treats the action as a submission. */
export function isIntercodeCtfSubmit(action: string): boolean {
  return action.startsWith('submit');
}

type Pending = { kind: 'execute'; action: string } | { kind: 'judge'; action: string } | null;

/**
 * One InterCode-CTF episode as eval_n_turn.py runs `--env ctf` with the HF-chat policy: each turn's action runs in the
 * episode's shell (in the task folder), except `submit <flag>`, which is judged; a wrong flag is answered "Submitted
 * flag is incorrect. Keep trying!" and the episode goes on; it ends at the right flag, at `skip`, or after 10 turns.
 */
export class IntercodeCtfEpisode implements AgentEpisode {
  private dialogue: ChatMessage[];
  private pending: Pending = null;
  private finished: { success: boolean; terminateReason: IntercodeTerminateReason | 'skip' } | null = null;
  private readonly records: IntercodeTurnRecord[] = [];
  private current: IntercodeTurnRecord | null = null;

  constructor(query: string) {
    this.dialogue = intercodeCtfFirstMessages(query);
  }

  get turns(): readonly object[] {
    return this.records;
  }

  next(): AgentStep {
    if (this.finished) return { kind: 'done', ...this.finished };
    const p = this.pending;
    if (p?.kind === 'execute') return { kind: 'execute', code: p.action };
    if (p?.kind === 'judge') return { kind: 'judge', solution: p.action };
    return { kind: 'model', messages: this.dialogue.map((m) => ({ ...m })) };
  }

  submitModelTurn(output: string): void {
    const action = parseIntercodeCtfAction(output);
    this.current = { modelOutput: output, action, validAction: null, observation: '', reward: null };
    this.dialogue.push({ role: 'assistant', content: `${ACTION_PROMPT} ${action}` });
    if (action.toLowerCase() === 'skip') {
      this.current.validAction = true;
      this.records.push({ ...this.current, observation: 'skipped', reward: 0 });
      this.current = null;
      this.finished = { success: false, terminateReason: 'skip' };
      return;
    }
    this.pending = isIntercodeCtfSubmit(action) ? { kind: 'judge', action } : { kind: 'execute', action };
  }

  submitModelError(error: string): void {
    this.records.push({ modelOutput: '', action: 'blocked', validAction: null, observation: error, reward: 0 });
    this.finished = { success: false, terminateReason: 'error' };
  }

  submitExecution(output: string): void {
    if (this.pending?.kind !== 'execute' || this.current === null) throw new Error('submitExecution without a pending action');
    this.pending = null;
    this.current.validAction = true;
    this.endTurn(output, 0);
  }

  submitJudgement(judgement: { success: boolean }): void {
    if (this.pending?.kind !== 'judge' || this.current === null) throw new Error('submitJudgement without a pending submission');
    this.pending = null;
    this.current.validAction = true;
    this.endTurn(judgement.success ? '' : INTERCODE_CTF_WRONG_FLAG, judgement.success ? 1 : 0);
  }

  submitFeedback(): void {
    throw new Error('InterCode episodes take no expert feedback');
  }

  private endTurn(observation: string, reward: number): void {
    const record = this.current!;
    record.observation = observation;
    record.reward = reward;
    this.records.push(record);
    this.current = null;
    if (reward === 1) {
      this.finished = { success: true, terminateReason: 'reward_1' };
      return;
    }
    if (this.records.length >= INTERCODE_CTF_BUDGET.maxTurns) {
      this.finished = { success: false, terminateReason: 'max_turns' };
      return;
    }
    const chars = [...observation];
    const shown = chars.length > INTERCODE_OBSERVATION_CHARS ? chars.slice(0, INTERCODE_OBSERVATION_CHARS).join('') : observation;
    this.dialogue.push({ role: 'user', content: intercodeCtfObservationMessage(shown) });
    if (this.dialogue.length - 2 > INTERCODE_CTF_BUDGET.dialogueLimit) {
      this.dialogue = [...this.dialogue.slice(0, 2), ...this.dialogue.slice(-INTERCODE_CTF_BUDGET.dialogueLimit)];
    }
  }
}
