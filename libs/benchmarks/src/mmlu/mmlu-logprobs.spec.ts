import { describe, expect, it } from 'vitest';
import { type TokenLogprob } from '../benchmark';
import { selectMmluLetter } from './mmlu-logprobs';
import { mmluBenchmark, type MmluItem } from './mmlu.benchmark';

const top = (entries: Record<string, number>): TokenLogprob[] => Object.entries(entries).map(([token, logprob]) => ({ token, logprob }));
const ln = Math.log;

describe('selectMmluLetter', () => {
  it.each<[string, TokenLogprob[], string | undefined]>([
    ['the most likely of four spaced letters', top({ ' A': ln(0.1), ' B': ln(0.6), ' C': ln(0.2), ' D': ln(0.1) }), 'B'],
    ['a letter outranked by a non-letter token', top({ ' The': ln(0.7), ' C': ln(0.2), ' A': ln(0.1) }), 'C'],
    ['a tie: the first letter in A-D order (torch.argmax)', top({ ' D': -1, ' B': -1, ' C': -2 }), 'B'],
    ['missing letters: the best of those shown', top({ ' D': -0.5, '\n': -1.5 }), 'D'],
    ['no letter at all', top({ ' The': -0.1, ' I': -2.5, '\n': -3 }), undefined],
    ['no candidates', [], undefined],
    ['letters without a leading space', top({ A: -0.3, B: -1.2 }), 'A'],
    ['SentencePiece and byte-level BPE pieces', top({ '\u2581C': -0.2, '\u0120A': -1.9 }), 'C'],
    ['forms of one letter adding up (" B" and "B" beat " A")', top({ ' A': ln(0.4), ' B': ln(0.3), B: ln(0.3) }), 'B'],
    ['lowercase ignored (" a" is the article)', top({ ' a': -0.1, ' b': -0.5, ' C': -3 }), 'C'],
    ['only lowercase', top({ ' a': -0.1, ' d': -0.5 }), undefined],
    ['letters with more around them ignored', top({ ' A.': -0.1, ' (B': -0.2, 'AB': -0.3, '  C': -0.4, ' E': -0.5, ' D': -6 }), 'D'],
    ['vLLM\'s -9999 floor still ranks', top({ ' A': -9999, ' B': -9999.5 }), 'A'],
    ['non-finite log-probabilities ignored', top({ ' A': Number.NaN, ' B': -Infinity, ' C': -8 }), 'C'],
  ])('%s', (_name, candidates, letter) => {
    expect(selectMmluLetter(candidates).letter).toBe(letter);
  });

  it('reports each letter\'s log-probability, null for the missing, a token listed twice counted once', () => {
    const { logprobs } = selectMmluLetter(top({ ' A': ln(0.25), A: ln(0.25), ' C': -3 }).concat({ token: ' C', logprob: -3 }));
    expect(logprobs.A).toBeCloseTo(ln(0.5), 12);
    expect(logprobs).toMatchObject({ B: null, C: -3, D: null });
  });
});

describe('mmlu likelihood protocol', () => {
  const item = { id: 'mmlu/x/0', subject: 'x', question: 'q', choices: ['a', 'b', 'c', 'd'], answer: 'C', fewShot: '' } satisfies MmluItem;

  it('asks for the first token and its 20 alternatives (vLLM\'s default cap)', () => {
    expect(mmluBenchmark.likelihood).toMatchObject({ protocol: 'next-token-logprobs', topLogprobs: 20, maxTokens: 1 });
  });

  it.each<[string, Record<string, number>, number, string]>([
    ['right letter most likely', { ' C': -0.1, ' A': -3 }, 1, 'correct'],
    ['wrong letter most likely', { ' A': -0.1, ' C': -3 }, 0, 'expected C, chose A'],
    ['no letter', { ' The': -0.1 }, 0, 'no option letter (A-D) among the 1 most likely next tokens; expected C'],
  ])('%s', (_name, entries, score, reason) => {
    const verdict = mmluBenchmark.likelihood.score(item, top(entries));
    expect(verdict).toMatchObject({ score, passed: score === 1, reason });
    expect(Object.keys(verdict.choiceLogprobs)).toEqual(['A', 'B', 'C', 'D']);
  });
});
