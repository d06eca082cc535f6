import { type AnswerPolicy, type AnswerRequest } from './answer-policy';

/**
 * Echoes the input back: the last user message of a chat, or the last paragraph of a completion prompt, so
 * few-shot prompts echo the question rather than the whole preamble.
 */
export class EchoAnswerPolicy implements AnswerPolicy {
  answer(req: AnswerRequest): string {
    if (req.chat) return req.lastUserMessage ?? '';
    const paragraphs = req.prompt.split(/\n\s*\n/).filter((part) => part.trim() !== '');
    return (paragraphs.at(-1) ?? '').trim();
  }
}
