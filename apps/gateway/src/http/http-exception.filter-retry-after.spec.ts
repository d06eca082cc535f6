import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { describe, expect, it } from 'vitest';
import { HttpRejection } from './api-error';
import { errorHeaders } from './http-exception.filter';

describe('errorHeaders Retry-After', () => {
  it("sends the wait a refusal carried on its 429, not the fixed 1 s", () => {
    const refused = new PlatformError(PlatformErrorCode.RESOURCE_EXHAUSTED, 'team over its token rate', { retryAfterSeconds: 29 });
    expect(errorHeaders(refused, 429)).toEqual({ 'retry-after': '29' });
  });

  it('sends the wait replicas asked for on a 503', () => {
    const refused = new PlatformError(PlatformErrorCode.UPSTREAM_FAILED, 'every replica answered 429', { retryAfterSeconds: 5 });
    expect(errorHeaders(refused, 503)).toEqual({ 'retry-after': '5' });
  });

  it('falls back to 1 s on a 429 without a hint, and sends none on a 503 without one', () => {
    expect(errorHeaders(new PlatformError(PlatformErrorCode.RESOURCE_EXHAUSTED, 'queue full'), 429)).toEqual({ 'retry-after': '1' });
    expect(errorHeaders(new PlatformError(PlatformErrorCode.UPSTREAM_FAILED, 'down'), 503)).toEqual({});
  });

  it("keeps a rejection's own Retry-After", () => {
    const quota = new HttpRejection(429, 'QUOTA_EXCEEDED', 'too many runs', undefined, { 'retry-after': '30' });
    expect(errorHeaders(quota, 429)).toEqual({ 'retry-after': '30' });
  });
});
