import { fromBinary } from '@bufbuild/protobuf';
import { evalV1 } from '@lemur/proto';
import { describe, expect, it } from 'vitest';
import { grpcServiceDefinition } from './service-definition';

describe('grpcServiceDefinition', () => {
  it('encodes strings to the same UTF-8 bytes as TextEncoder (lone surrogates as U+FFFD) and decodes them back', () => {
    const text = 'héllo ✓ 😀 lone:\ud800 end';
    const listSamples = grpcServiceDefinition(evalV1.EvalService).ListSamples!;
    const bytes = listSamples.responseSerialize({ samples: [{ prompt: text, completion: 'x'.repeat(5000) }], detailsJson: ['{"a":"ü"}'] });
    const utf8 = new TextEncoder().encode(text);
    expect(Buffer.from(bytes).includes(Buffer.from(utf8))).toBe(true);
    const decoded = fromBinary(evalV1.ListSamplesResponseSchema, bytes);
    expect(decoded.samples[0]?.prompt).toBe('héllo ✓ 😀 lone:\ufffd end');
    expect(decoded.samples[0]?.completion).toHaveLength(5000);
    expect(decoded.detailsJson).toEqual(['{"a":"ü"}']);
  });
});
