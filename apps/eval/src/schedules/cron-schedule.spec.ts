import { PlatformError } from '@lemur/shared-errors';
import { describe, expect, it } from 'vitest';
import { CronSchedule } from './cron-schedule';

describe('CronSchedule', () => {
  it('gives the next tick in UTC', () => {
    const daily = CronSchedule.parse('0 3 * * *', 'UTC');
    expect(daily.nextAfter(new Date('2026-12-03T02:59:59Z')).toISOString()).toBe('2026-12-03T03:00:00.000Z');
    // Strictly after: a tick exactly now is not the next one.
    expect(daily.nextAfter(new Date('2026-12-03T03:00:00Z')).toISOString()).toBe('2026-12-04T03:00:00.000Z');
    expect(CronSchedule.parse('*/15 * * * *', 'UTC').nextAfter(new Date('2026-12-03T10:07:00Z')).toISOString()).toBe('2026-12-03T10:15:00.000Z');
    expect(CronSchedule.parse('30 9 * * 1', 'UTC').nextAfter(new Date('2026-12-03T00:00:00Z')).toISOString()).toBe('2026-12-07T09:30:00.000Z');
  });

  it('reads the expression in its time zone, across daylight saving time', () => {
    const berlin = CronSchedule.parse('0 3 * * *', 'Europe/Berlin');
    // Winter: UTC+1; summer: UTC+2.
    expect(berlin.nextAfter(new Date('2026-12-03T00:00:00Z')).toISOString()).toBe('2026-12-03T02:00:00.000Z');
    expect(berlin.nextAfter(new Date('2026-07-01T00:00:00Z')).toISOString()).toBe('2026-07-01T01:00:00.000Z');
  });

  it('reports the interval between ticks', () => {
    expect(CronSchedule.parse('0 3 * * *', 'UTC').intervalSeconds(new Date('2026-12-03T00:00:00Z'))).toBe(86_400);
    expect(CronSchedule.parse('*/5 * * * *', 'UTC').intervalSeconds(new Date('2026-12-03T00:00:00Z'))).toBe(300);
  });

  it.each([
    ['0 3 * *', 'cron'],
    ['0 3 * * * *', 'cron'],
    ['61 3 * * *', 'cron'],
    ['0 3 * * *; rm -rf /', 'cron'],
  ])('refuses %j with an error on %s', (expression, field) => {
    const err = (() => {
      try {
        CronSchedule.parse(expression, 'UTC');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(PlatformError);
    expect((err as PlatformError).field).toBe(field);
    expect((err as PlatformError).message).toContain('cron');
  });

  it('refuses an unknown time zone', () => {
    expect(() => CronSchedule.parse('0 3 * * *', 'Mars/Olympus')).toThrow(/timezone: "Mars\/Olympus" is not an IANA time zone/);
  });
});
