import { describe, expect, it } from 'vitest';
import { parseSseData, SSE_DONE, sseEvent } from './sse';

describe('sse', () => {
  it('frames JSON payloads and parses them back', () => {
    const body = sseEvent({ text: 'a\n\nb' }) + sseEvent({ n: 1 }) + SSE_DONE;
    expect(body).toBe('data: {"text":"a\\n\\nb"}\n\ndata: {"n":1}\n\ndata: [DONE]\n\n');
    expect(parseSseData(body)).toEqual(['{"text":"a\\n\\nb"}', '{"n":1}', '[DONE]']);
  });
});
