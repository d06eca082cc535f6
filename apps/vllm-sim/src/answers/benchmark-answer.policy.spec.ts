import { describe, expect, it } from 'vitest';
import { UNKNOWN_PROMPT_ANSWER } from './answer-policy';
import { BenchmarkAnswerPolicy, type CompletingBenchmark, type OracleLookup } from './benchmark-answer.policy';

interface ArithmeticItem {
  question: string;
  answer: number;
}

const arithmetic: CompletingBenchmark = {
  referenceCompletion: (item: ArithmeticItem, { chat }) => `${chat ? 'Answer: ' : ''}${item.answer}`,
  wrongCompletion: (item: ArithmeticItem) => `${item.answer + 1}`,
};

const items: ArithmeticItem[] = [{ question: 'What is 2+2?', answer: 4 }];
const index: OracleLookup = {
  lookup: (prompt) => {
    const item = items.find((candidate) => prompt.includes(candidate.question));
    return item ? { benchmark: arithmetic, item } : undefined;
  },
};

describe('BenchmarkAnswerPolicy', () => {
  it('answers with the reference completion in oracle mode, chat-aware', () => {
    const oracle = new BenchmarkAnswerPolicy(index, 'oracle');
    expect(oracle.answer({ prompt: 'Q: What is 2+2?', chat: false, temperature: 0 })).toBe('4');
    expect(oracle.answer({ prompt: 'Q: What is 2+2?', chat: true, temperature: 0 })).toBe('Answer: 4');
  });

  it('answers with the wrong completion in wrong mode', () => {
    expect(new BenchmarkAnswerPolicy(index, 'wrong').answer({ prompt: 'What is 2+2?', chat: false, temperature: 0 })).toBe('5');
  });

  it('says it does not know when no item matches', () => {
    expect(new BenchmarkAnswerPolicy(index, 'oracle').answer({ prompt: 'hello', chat: false, temperature: 0 })).toBe(
      UNKNOWN_PROMPT_ANSWER,
    );
  });
});
