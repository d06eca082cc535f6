import { describe, expect, it } from 'vitest';
import { SseDataReader } from './openai-upstream';

/** Feeds the reads one by one and collects every payload the reader returns. */
function payloads(reads: Buffer[]): string[] {
  const reader = new SseDataReader();
  const out: string[] = [];
  for (const bytes of reads) {
    for (let data = reader.first(bytes); data !== undefined; data = reader.next()) out.push(data);
  }
  return out;
}

describe('SseDataReader', () => {
  const stream = 'data: {"a":1}\n\n: a comment\nevent: x\ndata: {"text":"héllo ✓"}\n\ndata: [DONE]\n\n';

  it('returns the data payloads of a whole stream in one read, skipping other fields and blank lines', () => {
    expect(payloads([Buffer.from(stream)])).toEqual(['{"a":1}', '{"text":"héllo ✓"}', '[DONE]']);
  });

  it('gives the same payloads for every way of cutting the bytes, including inside a UTF-8 character', () => {
    const bytes = Buffer.from(stream);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(payloads([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(['{"a":1}', '{"text":"héllo ✓"}', '[DONE]']);
    }
    expect(payloads([...bytes].map((b) => Buffer.from([b])))).toEqual(['{"a":1}', '{"text":"héllo ✓"}', '[DONE]']);
  });

  it('accepts CRLF line ends and data without the optional space', () => {
    expect(payloads([Buffer.from('data:{"b":2}\r\n\r\ndata: [DONE]\r\n\r\n')])).toEqual(['{"b":2}', '[DONE]']);
  });

  it('holds back a line until its end arrives', () => {
    const reader = new SseDataReader();
    expect(reader.first(Buffer.from('data: {"c"'))).toBeUndefined();
    expect(reader.first(Buffer.from(':3}'))).toBeUndefined();
    expect(reader.first(Buffer.from('\n\n'))).toBe('{"c":3}');
    expect(reader.next()).toBeUndefined();
  });
});
