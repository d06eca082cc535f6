import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cacheKeyOf, isCacheable, type CacheKeyInput } from './cached-completion';

const base: CacheKeyInput = { model: 'm', revision: 'r1', prompt: 'p', maxTokens: 16, temperature: 0, topP: 1, stop: [], n: 1 };

describe('isCacheable', () => {
  it.each([
    { name: 'greedy', input: base, cacheable: true },
    { name: 'sampled with a fixed seed', input: { ...base, temperature: 0.7, seed: 1 }, cacheable: true },
    { name: 'sampled without a seed', input: { ...base, temperature: 0.7 }, cacheable: false },
    { name: 'greedy but opted out', input: { ...base, noCache: true }, cacheable: false },
  ])('$name -> $cacheable', ({ input, cacheable }) => {
    expect(isCacheable(input)).toBe(cacheable);
  });
});

describe('cacheKeyOf', () => {
  it.each<[string, Partial<CacheKeyInput>]>([
    ['model', { model: 'other' }],
    ['revision', { revision: 'r2' }],
    ['prompt', { prompt: 'q' }],
    ['messages instead of prompt', { prompt: undefined, messages: [{ role: 'user', content: 'p' }] }],
    ['max tokens', { maxTokens: 17 }],
    ['temperature', { temperature: 0.1 }],
    ['top p', { topP: 0.9 }],
    ['stop', { stop: ['\n'] }],
    ['seed', { seed: 3 }],
    ['n', { n: 2 }],
    ['log-probabilities asked for', { logprobs: 20 }],
    ['presence penalty', { presencePenalty: 0.5 }],
    ['frequency penalty', { frequencyPenalty: -0.5 }],
    ['logit bias', { logitBias: { '50256': -100 } }],
  ])('changes with the %s', (_name, change) => {
    expect(cacheKeyOf({ ...base, ...change })).not.toBe(cacheKeyOf(base));
  });

  it('ignores what does not decide the completion (the opt-out flag) and is stable', () => {
    expect(cacheKeyOf({ ...base, noCache: true })).toBe(cacheKeyOf(base));
    expect(cacheKeyOf(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keys log-probability requests by their number of alternatives, and leaves the keys of others as they were', () => {
    expect(cacheKeyOf({ ...base, logprobs: 20 })).not.toBe(cacheKeyOf({ ...base, logprobs: 5 }));
    expect(cacheKeyOf({ ...base, logprobs: 0 })).not.toBe(cacheKeyOf(base));
    const before = createHash('sha256').update(JSON.stringify(['v1', 'm', 'r1', 'p', null, 16, 0, 1, [], null, 1])).digest('hex');
    expect(cacheKeyOf(base)).toBe(before);
  });

  it('keys penalties and logit bias by their values, not by the order the biases came in', () => {
    // Presence and frequency are different penalties: the same value in one or the other is another request.
    expect(cacheKeyOf({ ...base, presencePenalty: 0.5 })).not.toBe(cacheKeyOf({ ...base, frequencyPenalty: 0.5 }));
    expect(cacheKeyOf({ ...base, presencePenalty: 0.5 })).not.toBe(cacheKeyOf({ ...base, presencePenalty: 0.6 }));
    expect(cacheKeyOf({ ...base, logitBias: { '1': 5 } })).not.toBe(cacheKeyOf({ ...base, logitBias: { '1': 6 } }));
    expect(cacheKeyOf({ ...base, logitBias: { '1': 5 } })).not.toBe(cacheKeyOf({ ...base, logitBias: { '2': 5 } }));
    expect(cacheKeyOf({ ...base, logitBias: { '1': 5, '2': -5 } })).toBe(cacheKeyOf({ ...base, logitBias: { '2': -5, '1': 5 } }));
    expect(cacheKeyOf({ ...base, logitBias: { x1: 5, x2: -5 } })).toBe(cacheKeyOf({ ...base, logitBias: { x2: -5, x1: 5 } }));
  });
});
