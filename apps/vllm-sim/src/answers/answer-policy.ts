/** What a policy sees of a request: the prompt text (chat messages joined by blank lines) and sampling settings. */
export interface AnswerRequest {
  prompt: string;
  chat: boolean;
  /** For chat requests, the content of the last user message (echo mode answers with it). */
  lastUserMessage?: string;
  seed?: number;
  temperature: number;
}

/** Decides the full text a simulated model would generate, before stop strings and max_tokens apply. */
export interface AnswerPolicy {
  answer(req: AnswerRequest): string;
  /**
   * The answers are another model's published text, already cut at the request's max_tokens by that model's own
   * tokenizer; the simulator's approximate tokenizer counts more tokens and must not cut them a second time.
   */
  readonly replaysPublishedText?: boolean;
}

/** Answer modes that can be chosen per model name. */
export type AnswerMode = 'echo' | 'scripted' | 'oracle' | 'wrong' | 'replay';

/** Every answer mode, for validation and help text. */
export const ANSWER_MODES: readonly AnswerMode[] = ['echo', 'scripted', 'oracle', 'wrong', 'replay'];

/** The fixed answer of the oracle and wrong modes when a prompt matches no benchmark item. */
export const UNKNOWN_PROMPT_ANSWER = "I don't know.";
