import { PlatformErrorCode } from '@lemur/shared-errors';
import { describe, expect, it } from 'vitest';
import { httpStatusFor } from './http-status.mapper';

describe('httpStatusFor', () => {
  it.each([
    [PlatformErrorCode.INVALID_ARGUMENT, 400],
    [PlatformErrorCode.RUN_NOT_FOUND, 404],
    [PlatformErrorCode.MODEL_NOT_FOUND, 404],
    [PlatformErrorCode.BENCHMARK_NOT_FOUND, 404],
    [PlatformErrorCode.RUN_NOT_CANCELLABLE, 409],
    [PlatformErrorCode.RUN_STATE_CONFLICT, 409],
    [PlatformErrorCode.DATASET_UNAVAILABLE, 422],
    [PlatformErrorCode.RESOURCE_EXHAUSTED, 429],
    [PlatformErrorCode.CANCELLED, 499],
    [PlatformErrorCode.INTERNAL, 500],
    [PlatformErrorCode.NO_READY_ENDPOINT, 503],
    [PlatformErrorCode.UPSTREAM_FAILED, 503],
    [PlatformErrorCode.SANDBOX_UNAVAILABLE, 503],
    [PlatformErrorCode.DEADLINE_EXCEEDED, 504],
  ])('%s -> %i', (code, status) => {
    expect(httpStatusFor(code)).toBe(status);
  });

  it('covers every code', () => {
    for (const code of Object.values(PlatformErrorCode)) expect(httpStatusFor(code)).toBeGreaterThanOrEqual(400);
  });

  it('throws for a code it does not know, rather than guessing', () => {
    expect(() => httpStatusFor('SOMETHING_NEW' as PlatformErrorCode)).toThrow(/SOMETHING_NEW/);
  });
});
