import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { describe, expect, it } from 'vitest';
import { chatCompletionBody, completionBody, MAX_LOGIT_BIAS_ENTRIES, validateOpenAi } from './openai-request.schema';

const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
const completion = { model: 'm', prompt: 'hi' };

function biasOf(entries: number): Record<string, number> {
  return Object.fromEntries(Array.from({ length: entries }, (_, i) => [String(i), 1]));
}

function rejection(fn: () => unknown): PlatformError {
  try {
    fn();
  } catch (err) {
    if (err instanceof PlatformError) return err;
    throw err;
  }
  throw new Error('expected a PlatformError');
}

describe('penalties, logit_bias and user in OpenAI request bodies', () => {
  it.each<[string, Record<string, unknown>]>([
    ['presence_penalty at -2', { presence_penalty: -2 }],
    ['presence_penalty at 2', { presence_penalty: 2 }],
    ['frequency_penalty at -2', { frequency_penalty: -2 }],
    ['frequency_penalty at 1.5', { frequency_penalty: 1.5 }],
    ['null penalties (OpenAI clients send them)', { presence_penalty: null, frequency_penalty: null, logit_bias: null }],
    ['logit_bias at -100 and 100', { logit_bias: { '50256': -100, '11': 100 } }],
    [`logit_bias with ${MAX_LOGIT_BIAS_ENTRIES} entries`, { logit_bias: biasOf(MAX_LOGIT_BIAS_ENTRIES) }],
    ['user', { user: 'user-42' }],
  ])('accepts %s on both endpoints and keeps it', (_name, extra) => {
    expect(validateOpenAi(chatCompletionBody, { ...chat, ...extra })).toMatchObject(extra);
    expect(validateOpenAi(completionBody, { ...completion, ...extra })).toMatchObject(extra);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['presence_penalty above 2', { presence_penalty: 2.01 }, 'presence_penalty', 'must be between -2 and 2'],
    ['presence_penalty below -2', { presence_penalty: -3 }, 'presence_penalty', 'must be between -2 and 2'],
    ['frequency_penalty above 2', { frequency_penalty: 5 }, 'frequency_penalty', 'must be between -2 and 2'],
    ['frequency_penalty below -2', { frequency_penalty: -2.5 }, 'frequency_penalty', 'must be between -2 and 2'],
    ['a bias above 100', { logit_bias: { '50256': 100.5 } }, 'logit_bias.50256', 'biases must be between -100 and 100'],
    ['a bias below -100', { logit_bias: { '7': -101 } }, 'logit_bias.7', 'biases must be between -100 and 100'],
    ['a key that is not a token id', { logit_bias: { hello: 1 } }, 'logit_bias.hello', 'keys must be token ids (non-negative integers)'],
    ['a negative token id', { logit_bias: { '-1': 1 } }, 'logit_bias.-1', 'keys must be token ids (non-negative integers)'],
    ['too many biases', { logit_bias: biasOf(MAX_LOGIT_BIAS_ENTRIES + 1) }, 'logit_bias', `at most ${MAX_LOGIT_BIAS_ENTRIES} entries`],
    ['a penalty given as a string', { presence_penalty: '1' }, 'presence_penalty', 'expected number'],
  ])('rejects %s with a 400 naming the field', (_name, extra, field, message) => {
    for (const [schema, base] of [
      [chatCompletionBody, chat],
      [completionBody, completion],
    ] as const) {
      const err = rejection(() => validateOpenAi(schema, { ...base, ...extra }));
      expect(err.code).toBe(PlatformErrorCode.INVALID_ARGUMENT);
      expect(err.field).toBe(field);
      expect(err.message).toContain(message);
    }
  });
});
