import { describe, expect, it } from 'vitest';
import { InvalidRequestError, parseChatRequest, parseCompletionRequest } from './generation-request';

function invalid(fn: () => unknown): InvalidRequestError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidRequestError) return err;
    throw err;
  }
  throw new Error('expected InvalidRequestError');
}

describe('parseCompletionRequest', () => {
  it('normalises a minimal body with vLLM defaults', () => {
    expect(parseCompletionRequest({ model: 'm', prompt: 'hi you' }, 4096)).toEqual({
      kind: 'completion',
      model: 'm',
      prompts: [{ text: 'hi you', tokens: 2 }],
      n: 1,
      maxTokens: 16,
      stop: [],
      temperature: 1,
      topP: 1,
      stream: false,
      includeUsage: false,
      echo: false,
    });
  });

  it('takes logprobs and echo (max_tokens 0 only with echo)', () => {
    expect(parseCompletionRequest({ model: 'm', prompt: 'x', logprobs: 20, max_tokens: 1 }, 4096)).toMatchObject({ logprobs: 20, echo: false });
    expect(parseCompletionRequest({ model: 'm', prompt: 'x', logprobs: 0, echo: true, max_tokens: 0 }, 4096)).toMatchObject({ logprobs: 0, echo: true, maxTokens: 0 });
    expect(() => parseCompletionRequest({ model: 'm', prompt: 'x', logprobs: 6 }, 4096, 5)).toThrow('greater than max allowed: 5');
  });

  it('accepts a batch of prompts, a stop list and stream options', () => {
    const req = parseCompletionRequest(
      { model: 'm', prompt: ['a', 'b'], stop: '\n', n: 2, seed: 3, stream: true, stream_options: { include_usage: true } },
      4096,
    );
    expect(req).toMatchObject({ n: 2, stop: ['\n'], seed: 3, stream: true, includeUsage: true });
    expect(req.prompts).toHaveLength(2);
  });

  it.each([
    [{ model: 'm', prompt: 'x', max_tokens: 0 }, 'max_tokens'],
    [{ model: 'm', prompt: 'x', n: 1.5 }, 'n'],
    [{ model: 'm', prompt: 'x', temperature: -1 }, 'temperature'],
    [{ model: 'm', prompt: [1, 2, 3] }, 'prompt'],
    [{ prompt: 'x' }, 'model'],
    [{ model: 'm', prompt: 'x', stop: 5 }, 'stop'],
    [{ model: 'm', prompt: 'x', stream_options: { include_usage: true } }, 'stream_options'],
    [{ model: 'm', prompt: 'x', max_tokens: 100 }, 'max_tokens'],
  ])('rejects %j naming param %s', (body, param) => {
    expect(invalid(() => parseCompletionRequest(body, 64)).param).toBe(param);
  });

  it('rejects a body that is not an object', () => {
    expect(invalid(() => parseCompletionRequest([1], 64)).param).toBeNull();
  });
});

describe('parseChatRequest', () => {
  it('joins message contents with blank lines and remembers the last user message', () => {
    const req = parseChatRequest(
      {
        model: 'm',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
          { role: 'assistant', content: 'Hello' },
          { role: 'user', content: 'Bye' },
        ],
      },
      100,
    );
    expect(req.prompts).toEqual([{ text: 'Be brief.\n\nHi\n\nHello\n\nBye', tokens: 8, lastUserMessage: 'Bye' }]);
    expect(req.maxTokens).toBe(92);
  });

  it('prefers max_completion_tokens and rejects unknown roles and empty messages', () => {
    expect(parseChatRequest({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_completion_tokens: 5 }, 100).maxTokens).toBe(5);
    expect(invalid(() => parseChatRequest({ model: 'm', messages: [{ role: 'robot', content: 'x' }] }, 100)).param).toBe(
      'messages.0.role',
    );
    expect(invalid(() => parseChatRequest({ model: 'm', messages: [] }, 100)).param).toBe('messages');
  });
});

describe('sampling fields the simulator does not model', () => {
  const chat = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

  it('accepts penalties, logit bias and user within vLLM\'s limits, on both endpoints', () => {
    const extra = { presence_penalty: -2, frequency_penalty: 2, logit_bias: { '50256': -100, '11': 250 }, user: 'u-1' };
    expect(parseChatRequest({ ...chat, ...extra }, 4096)).toMatchObject({ kind: 'chat' });
    expect(parseCompletionRequest({ model: 'm', prompt: 'x', ...extra }, 4096)).toMatchObject({ kind: 'completion' });
  });

  it.each([
    [{ presence_penalty: 2.5 }, 'presence_penalty', 'presence_penalty must be in [-2, 2], got 2.5.'],
    [{ frequency_penalty: -3 }, 'frequency_penalty', 'frequency_penalty must be in [-2, 2], got -3.'],
    [{ logit_bias: { abc: 1 } }, 'logit_bias.abc', 'logit_bias keys must be token ids, got "abc".'],
  ])('refuses %o as vLLM does (400 naming %s)', (extra, param, message) => {
    const err = invalid(() => parseChatRequest({ ...chat, ...extra }, 4096));
    expect(err.param).toBe(param);
    expect(err.message).toContain(message);
  });
});
