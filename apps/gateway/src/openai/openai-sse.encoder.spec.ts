import { describe, expect, it } from 'vitest';
import { SseChunkEncoder } from './openai-sse.encoder';

const meta = { id: 'cmpl-"1"', created: 1_764_000_000, model: 'lemur/70b "chat"' };

/** The payload of one event, checked for the SSE framing first. */
function payload(event: string): unknown {
  expect(event.startsWith('data: ')).toBe(true);
  expect(event.endsWith('\n\n')).toBe(true);
  expect(event.slice(6, -2)).not.toContain('\n');
  return JSON.parse(event.slice(6, -2));
}

describe('SseChunkEncoder', () => {
  it('encodes text completion chunks in OpenAI shape, escaping the text and model', () => {
    const encoder = new SseChunkEncoder('completion', meta);
    const text = 'a "quoted"\nline\twith \\ and unicode é 🦊 \u0001';
    expect(payload(encoder.event({ index: 0, delta: text, finishReason: '' }))).toEqual({
      id: meta.id,
      created: meta.created,
      model: meta.model,
      object: 'text_completion',
      choices: [{ index: 0, text, logprobs: null, finish_reason: null }],
    });
    expect(payload(encoder.event({ index: 2, delta: '', finishReason: 'length' }))).toMatchObject({
      choices: [{ index: 2, text: '', logprobs: null, finish_reason: 'length' }],
    });
  });

  it('gives the assistant role on the first chat chunk of each choice only', () => {
    const encoder = new SseChunkEncoder('chat', meta);
    const events = [
      encoder.event({ index: 0, delta: 'Hel', finishReason: '' }),
      encoder.event({ index: 1, delta: 'Hi', finishReason: '' }),
      encoder.event({ index: 0, delta: 'lo', finishReason: 'stop' }),
    ].map(payload);
    expect(events).toEqual([
      { ...meta, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, logprobs: null, finish_reason: null }] },
      { ...meta, object: 'chat.completion.chunk', choices: [{ index: 1, delta: { role: 'assistant', content: 'Hi' }, logprobs: null, finish_reason: null }] },
      { ...meta, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'lo' }, logprobs: null, finish_reason: 'stop' }] },
    ]);
  });

  it('writes the same bytes as JSON.stringify of the chunk object (key order included)', () => {
    const encoder = new SseChunkEncoder('completion', meta);
    const expected = { ...meta, object: 'text_completion', choices: [{ index: 0, text: 'x', logprobs: null, finish_reason: 'stop' }] };
    expect(encoder.event({ index: 0, delta: 'x', finishReason: 'stop' })).toBe(`data: ${JSON.stringify(expected)}\n\n`);
  });
});
