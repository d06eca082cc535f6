import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeriodicRefresh } from './periodic-refresh';

describe('PeriodicRefresh', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('refreshes at start, then every interval timed from the end of the last, until closed', async () => {
    let calls = 0;
    const refresher = new PeriodicRefresh(async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 300));
    }, 1_000);
    const started = refresher.start();
    await vi.advanceTimersByTimeAsync(300);
    await started;
    expect(calls).toBe(1);
    // The next one starts 1,000 ms after the first ended (at 1,300), not at 1,000.
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(300);
    refresher.close();
    expect(refresher.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toBe(2);
  });

  it('joins a refresh asked for while one runs', async () => {
    let calls = 0;
    let finish: () => void = () => undefined;
    const refresher = new PeriodicRefresh(() => {
      calls++;
      return new Promise<void>((r) => (finish = r));
    }, 1_000);
    const a = refresher.refresh();
    const b = refresher.refresh();
    expect(calls).toBe(1);
    finish();
    await Promise.all([a, b]);
    // Once it has settled, the next ask runs a new refresh.
    const c = refresher.refresh();
    expect(calls).toBe(2);
    finish();
    await c;
  });
});
