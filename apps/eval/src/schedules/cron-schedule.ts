import { parseExpression } from 'cron-parser';
import { PlatformError } from '@lemur/shared-errors';

const FIELD = /^[\d*/,\-A-Za-z?]+$/;

function isTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * A five-field cron expression (minute hour day-of-month month day-of-week) read in an IANA time zone: when it fires
 * next, and its nominal interval (what the missed-slot alert compares against).
 */
export class CronSchedule {
  private constructor(
    readonly expression: string,
    readonly timezone: string,
  ) {}

  /** Validates `expression` (exactly five fields) and `timezone`; the error names the field to fix. */
  static parse(expression: string, timezone: string): CronSchedule {
    const fields = expression.trim().split(/\s+/);
    if (fields.length !== 5 || !fields.every((f) => FIELD.test(f))) {
      throw PlatformError.invalid('cron', `"${expression}" is not a five-field cron expression (minute hour day-of-month month day-of-week), e.g. "0 3 * * *"`);
    }
    if (!isTimeZone(timezone)) throw PlatformError.invalid('timezone', `"${timezone}" is not an IANA time zone, e.g. "UTC" or "Europe/Berlin"`);
    try {
      parseExpression(fields.join(' '), { tz: timezone });
    } catch (err) {
      throw PlatformError.invalid('cron', `"${expression}": ${(err as Error).message}`);
    }
    return new CronSchedule(fields.join(' '), timezone);
  }

  /** The first tick strictly after `after`. */
  nextAfter(after: Date): Date {
    return parseExpression(this.expression, { tz: this.timezone, currentDate: after }).next().toDate();
  }

  /** Seconds between the first two ticks after `from` (the schedule's interval there; DST may stretch one). */
  intervalSeconds(from: Date): number {
    const first = this.nextAfter(from);
    return (this.nextAfter(first).getTime() - first.getTime()) / 1000;
  }
}
