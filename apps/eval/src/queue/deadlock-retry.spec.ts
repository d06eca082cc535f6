import { describe, expect, it } from 'vitest';
import { DEADLOCK_DETECTED, retryOnDeadlock } from './deadlock-retry';

const deadlock = () => Object.assign(new Error('deadlock detected'), { code: DEADLOCK_DETECTED });

describe('retryOnDeadlock', () => {
  it('runs a statement again when it was a deadlock victim, and returns its result', async () => {
    let calls = 0;
    const result = await retryOnDeadlock(async () => {
      calls++;
      if (calls < 3) throw deadlock();
      return 'done';
    }, 3, 1);
    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('gives up after the last attempt with the deadlock error', async () => {
    let calls = 0;
    await expect(
      retryOnDeadlock(async () => {
        calls++;
        throw deadlock();
      }, 3, 1),
    ).rejects.toMatchObject({ code: DEADLOCK_DETECTED });
    expect(calls).toBe(3);
  });

  it('never retries another error', async () => {
    let calls = 0;
    await expect(
      retryOnDeadlock(async () => {
        calls++;
        throw Object.assign(new Error('unique violation'), { code: '23505' });
      }, 3, 1),
    ).rejects.toThrow('unique violation');
    expect(calls).toBe(1);
  });
});
