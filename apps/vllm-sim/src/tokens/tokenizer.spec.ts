import { describe, expect, it } from 'vitest';
import { countTokens, tokenize } from './tokenizer';

describe('tokenize', () => {
  it('round-trips any text', () => {
    for (const text of ['Hello, world!', '  leading and trailing  ', 'déjà vu 123456789', 'a\n\nb\t', '']) {
      expect(tokenize(text).join('')).toBe(text);
    }
  });

  it('splits long words into chunks of at most four characters', () => {
    expect(tokenize('internationalization')).toEqual(['inte', 'rnat', 'iona', 'liza', 'tion']);
  });

  it('keeps punctuation as its own token and attaches whitespace to the next token', () => {
    expect(tokenize('def f(x):')).toEqual(['def', ' f', '(', 'x', ')', ':']);
  });

  it('counts zero tokens for empty text', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('one two')).toBe(2);
  });
});
