import { type AgentEpisode, type AgentStep, type ChatMessage } from '../benchmark';
import { parseIntercodeBashAction, parseIntercodeSqlAction, postProcessLemurReply, type IntercodeParsedAction } from './intercode-parsers';
import {
  INTERCODE_OBSERVATION_CHARS,
  intercodeFirstMessages,
  intercodeObservationMessage,
  intercodeRetryMessage,
  type IntercodeBudget,
  type IntercodeEnvName,
} from './intercode-prompt';

/** Why an InterCode episode ended: reward 1, turns used up, or the runner's parser raised ("blocked"). */
export type IntercodeTerminateReason = 'reward_1' | 'max_turns' | 'blocked' | 'error';

/** One turn as the transcript records it (eval_n_turn.py turn_history). */
export interface IntercodeTurnRecord {
  modelOutput: string;
  action: string;
  validAction: boolean | null;
  observation: string;
  reward: number | null;
}

/** The episode's view of one item: the query, and for SQL the tables shown as the handicap. */
export interface IntercodeEpisodeItem {
  query: string;
  tables?: Readonly<Record<string, readonly string[]>>;
}

type Pending = { kind: 'execute'; action: string } | { kind: 'judge'; action: string; observation?: string } | null;

/**
 * One InterCode episode as OpenLemur/intercode's eval_n_turn.py runs it with the HF-chat policy: a model turn, the
 * parsed action run in the environment, then "submit" scores it at once; the episode ends at reward 1 or after
 * `maxTurns`. SQL actions are run by the judge itself (the observation is the agent's result); Bash actions run in the
 * episode's shell first (`execute`) and the judge compares that state with the gold command's in a fresh shell.
 */
export class IntercodeEpisode implements AgentEpisode {
  private dialogue: ChatMessage[];
  private pending: Pending = null;
  private finished: { success: boolean; terminateReason: IntercodeTerminateReason } | null = null;
  private readonly records: IntercodeTurnRecord[] = [];
  private current: IntercodeTurnRecord | null = null;

  constructor(
    private readonly env: IntercodeEnvName,
    private readonly item: IntercodeEpisodeItem,
    private readonly budget: IntercodeBudget,
  ) {
    this.dialogue = intercodeFirstMessages(env, item.query, item.tables);
  }

  get turns(): readonly object[] {
    return this.records;
  }

  next(): AgentStep {
    if (this.finished) return { kind: 'done', ...this.finished };
    const p = this.pending;
    if (p?.kind === 'execute') return { kind: 'execute', code: p.action };
    if (p?.kind === 'judge') return { kind: 'judge', solution: p.action, ...(p.observation !== undefined ? { observation: p.observation } : {}) };
    return { kind: 'model', messages: this.dialogue.map((m) => ({ ...m })) };
  }

  submitModelTurn(output: string): void {
    const reply = postProcessLemurReply(output);
    const parsed: IntercodeParsedAction = this.env === 'sql' ? parseIntercodeSqlAction(reply) : parseIntercodeBashAction(reply);
    if (parsed.kind === 'blocked') {
      this.records.push({ modelOutput: output, action: 'blocked', validAction: null, observation: parsed.error, reward: 0 });
      this.finished = { success: false, terminateReason: 'blocked' };
      return;
    }
    const { action, isCode } = parsed;
    this.current = { modelOutput: output, action, validAction: null, observation: '', reward: null };
    // The policy keeps the parsed command (fenced again) in the dialogue, not the model's own words.
    this.dialogue.push({ role: 'assistant', content: isCode ? `\`\`\`${this.env}\n${action}\n\`\`\`` : action });
    if (!isCode) {
      this.current.validAction = false;
      this.endTurn(intercodeRetryMessage(this.env), 0, '0');
      return;
    }
    this.pending = this.env === 'sql' ? { kind: 'judge', action } : { kind: 'execute', action };
  }

  submitModelError(error: string): void {
    this.records.push({ modelOutput: '', action: 'blocked', validAction: null, observation: error, reward: 0 });
    this.finished = { success: false, terminateReason: 'error' };
  }

  submitExecution(output: string): void {
    if (this.pending?.kind !== 'execute') throw new Error('submitExecution without a pending action');
    this.pending = { kind: 'judge', action: this.pending.action, observation: output };
  }

  submitJudgement(judgement: { success: boolean; error?: string; observation?: string; reward?: number; rewardText?: string; validAction?: boolean }): void {
    if (this.pending?.kind !== 'judge' || this.current === null) throw new Error('submitJudgement without a pending action');
    const observation = judgement.observation ?? this.pending.observation ?? '';
    this.pending = null;
    this.current.validAction = judgement.validAction ?? true;
    const reward = judgement.reward ?? (judgement.success ? 1 : 0);
    this.endTurn(observation, reward, judgement.rewardText ?? String(reward));
  }

  submitFeedback(): void {
    throw new Error('InterCode episodes take no expert feedback');
  }

  private endTurn(observation: string, reward: number, rewardText: string): void {
    const record = this.current!;
    record.observation = observation;
    record.reward = reward;
    this.records.push(record);
    this.current = null;
    if (reward === 1) {
      this.finished = { success: true, terminateReason: 'reward_1' };
      return;
    }
    if (this.records.length >= this.budget.maxTurns) {
      this.finished = { success: false, terminateReason: 'max_turns' };
      return;
    }
    // A SQL judge cuts its own observation (50 rows of a result, 1000 characters of an error); a shell's is cut here.
    const chars = [...observation];
    const shown = this.env === 'bash' && chars.length > INTERCODE_OBSERVATION_CHARS ? chars.slice(0, INTERCODE_OBSERVATION_CHARS).join('') : observation;
    this.dialogue.push({ role: 'user', content: intercodeObservationMessage(this.env, this.item.query, shown, rewardText) });
    // Only the first two messages and the `dialogueLimit` most recent ones are kept.
    if (this.dialogue.length - 2 > this.budget.dialogueLimit) this.dialogue = [...this.dialogue.slice(0, 2), ...this.dialogue.slice(-this.budget.dialogueLimit)];
  }
}
