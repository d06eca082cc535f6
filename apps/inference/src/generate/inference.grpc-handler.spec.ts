import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { inferenceV1 } from '@lemur/proto';
import { PlatformError } from '@lemur/shared-errors';
import { describe, expect, it } from 'vitest';
import { toGenerateCommand } from './inference.grpc-handler';

type Sampling = MessageInitShape<typeof inferenceV1.SamplingParamsSchema>;

function request(sampling: Sampling, sessionKey = '') {
  return create(inferenceV1.GenerateRequestSchema, { model: 'm', prompt: 'p', sampling, sessionKey });
}

describe('toGenerateCommand: penalties, logit bias and session key', () => {
  it('passes penalties and logit bias on, and leaves the defaults (0, empty) unset', () => {
    const cmd = toGenerateCommand(request({ presencePenalty: 0.5, frequencyPenalty: -1.25, logitBias: { '50256': -100, '11': 3 } }));
    expect(cmd).toMatchObject({ presencePenalty: 0.5, frequencyPenalty: -1.25, logitBias: { '50256': -100, '11': 3 } });
    const plain = toGenerateCommand(request({}));
    expect('presencePenalty' in plain || 'frequencyPenalty' in plain || 'logitBias' in plain).toBe(false);
  });

  it('keeps the session key, the routing key of session affinity', () => {
    expect(toGenerateCommand(request({}, 'user-42')).sessionKey).toBe('user-42');
  });

  it.each<[string, Sampling, string]>([
    ['presence penalty above 2', { presencePenalty: 2.5 }, 'sampling.presence_penalty'],
    ['frequency penalty below -2', { frequencyPenalty: -2.5 }, 'sampling.frequency_penalty'],
    ['a NaN penalty', { presencePenalty: Number.NaN }, 'sampling.presence_penalty'],
    ['a bias above 100', { logitBias: { '5': 101 } }, 'sampling.logit_bias.5'],
    ['a key that is not a token id', { logitBias: { x: 1 } }, 'sampling.logit_bias.x'],
    ['more than 300 biases', { logitBias: Object.fromEntries(Array.from({ length: 301 }, (_, i) => [String(i), 1])) }, 'sampling.logit_bias'],
  ])('rejects %s naming the field', (_name, sampling, field) => {
    let caught: unknown;
    try {
      toGenerateCommand(request(sampling));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PlatformError);
    expect((caught as PlatformError).field).toBe(field);
  });
});
