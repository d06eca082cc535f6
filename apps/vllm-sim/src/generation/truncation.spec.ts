import { describe, expect, it } from 'vitest';
import { truncateCompletion } from './truncation';

describe('truncateCompletion', () => {
  it('returns the whole answer with finish_reason stop when nothing limits it', () => {
    expect(truncateCompletion('The answer is 42.', [], 100)).toMatchObject({
      text: 'The answer is 42.',
      finishReason: 'stop',
      stopReason: null,
    });
  });

  it('cuts at max_tokens with finish_reason length', () => {
    const result = truncateCompletion('one two six ten big', [], 3);
    expect(result).toMatchObject({ text: 'one two six', finishReason: 'length', stopReason: null });
    expect(result.pieces).toHaveLength(3);
  });

  it('cuts before the earliest stop string and does not return it', () => {
    const result = truncateCompletion('first\n\nsecond\nQ: third', ['Q:', '\n\n'], 100);
    expect(result).toMatchObject({ text: 'first', finishReason: 'stop', stopReason: '\n\n' });
  });

  it('ignores a stop string that only completes after the token limit', () => {
    expect(truncateCompletion('one two six STOP', ['STOP'], 3)).toMatchObject({
      text: 'one two six',
      finishReason: 'length',
    });
  });

  it('prefers the stop string when it lies inside the token limit', () => {
    expect(truncateCompletion('one STOP two six', ['STOP'], 3)).toMatchObject({
      text: 'one ',
      finishReason: 'stop',
      stopReason: 'STOP',
    });
  });

  it('keeps pieces consistent with the returned text', () => {
    const result = truncateCompletion('print(x)  # done', ['#'], 50);
    expect(result.pieces.join('')).toBe(result.text);
  });
});
