import { create } from '@bufbuild/protobuf';
import { evalV1 } from '@lemur/proto';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CSV_COLUMNS, csvField, encodeSamples, exportHead } from './sample-export.encoder';

const tricky = create(evalV1.SampleSchema, {
  id: 's1',
  itemId: 'humaneval/HumanEval/0',
  itemIndex: 0,
  sampleIndex: 1,
  status: evalV1.SampleStatus.SCORED,
  prompt: 'def f(a, b):\r\n    """Say "hi", twice"""\n',
  completion: '=cmd|" /C calc"!A0',
  score: 0.5,
  passed: false,
  promptTokens: 12,
  completionTokens: 3,
  latencyMs: 40,
  detail: { score: { tests: 'a,b' }, transcript: null, attempts: 1 },
});
const errored = create(evalV1.SampleSchema, { id: 's2', itemId: 'x', itemIndex: 1, status: evalV1.SampleStatus.ERRORED, error: 'timeout' });

describe('csvField', () => {
  it('quotes only what RFC 4180 requires and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(null)).toBe('');
    expect(csvField(0)).toBe('0');
    expect(csvField(false)).toBe('false');
    expect(csvField({ a: 'x,y' })).toBe('"{""a"":""x,y""}"');
  });
});

describe('encodeSamples', () => {
  it('writes CSV that a strict RFC 4180 parser reads back field for field', () => {
    const text = exportHead('csv').header + encodeSamples('csv', [tricky, errored]);
    const rows = parse(text, { columns: true, relax_quotes: false, record_delimiter: '\r\n' }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).toEqual([...CSV_COLUMNS]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      id: 's1',
      prompt: tricky.prompt,
      completion: tricky.completion,
      score: '0.5',
      passed: 'false',
      status: 'scored',
      error: '',
    });
    expect(JSON.parse(rows[0]!['detail']!)).toEqual({ score: { tests: 'a,b' }, transcript: null, attempts: 1 });
    // An unscored sample has an empty score, never 0.
    expect(rows[1]).toMatchObject({ id: 's2', status: 'errored', score: '', passed: '', error: 'timeout' });
  });

  it('splices details sent as JSON text in as they are, in both formats', () => {
    const detail = '{"score": {"tests": "a,b"}, "transcript": null, "attempts": 2}';
    const bare = create(evalV1.SampleSchema, { ...errored, detail: undefined });
    const line = JSON.parse(encodeSamples('jsonl', [bare], [detail])) as Record<string, unknown>;
    expect(Object.keys(line).at(-1)).toBe('detail');
    expect(line).toMatchObject({ id: 's2', error: 'timeout', detail: { score: { tests: 'a,b' }, transcript: null, attempts: 2 } });
    const rows = parse(exportHead('csv').header + encodeSamples('csv', [bare], [detail]), { columns: true }) as Record<string, string>[];
    expect(rows[0]!['detail']).toBe(detail);
  });

  it('writes one JSON object per line, as the samples API shows them', () => {
    const lines = encodeSamples('jsonl', [tricky, errored]).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0]!)).toMatchObject({ id: 's1', prompt: tricky.prompt, score: 0.5, status: 'scored' });
    expect(JSON.parse(lines[1]!)).toMatchObject({ id: 's2', score: null, passed: null, error: 'timeout' });
  });
});
