import { describe, expect, it } from 'vitest';
import { retryAfterHeaderSeconds } from './retry-after-header';

describe('retryAfterHeaderSeconds', () => {
  const now = Date.parse('2026-12-04T12:00:00Z');

  it('reads delta-seconds', () => {
    expect(retryAfterHeaderSeconds({ 'retry-after': ' 7 ' }, now)).toBe(7);
  });

  it('reads an HTTP-date as the seconds until then, a past one as 0', () => {
    expect(retryAfterHeaderSeconds({ 'retry-after': 'Fri, 04 Dec 2026 12:00:30 GMT' }, now)).toBe(30);
    expect(retryAfterHeaderSeconds({ 'retry-after': 'Fri, 04 Dec 2026 11:00:00 GMT' }, now)).toBe(0);
  });

  it.each([undefined, '', 'soon', '-1', '1.5', '2026-12-04T12:00:30Z'])('is no hint for %j', (value) => {
    expect(retryAfterHeaderSeconds(value === undefined ? {} : { 'retry-after': value }, now)).toBeUndefined();
  });
});
