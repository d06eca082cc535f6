import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../upstream/openai-upstream';
import { ReplicaRefusals } from './replica-refusals';

const refused = (status: number, retryAfterSeconds?: number) =>
  new UpstreamError(`answered ${status}`, true, status, { retryAfterSeconds });

describe('ReplicaRefusals', () => {
  it('takes the soonest Retry-After when every replica refused with one', () => {
    const refusals = new ReplicaRefusals();
    refusals.note(refused(429, 20));
    refusals.note(refused(503, 5));
    refusals.note(refused(429, 9));
    expect(refusals.retryAfterSeconds()).toBe(5);
  });

  it('has no hint when any attempt failed otherwise or refused without one', () => {
    for (const other of [refused(429), refused(500, 3), new UpstreamError('connection refused', true), new Error('boom')]) {
      const refusals = new ReplicaRefusals();
      refusals.note(refused(429, 4));
      refusals.note(other);
      expect(refusals.retryAfterSeconds()).toBeUndefined();
    }
  });

  it('has no hint before any attempt', () => {
    expect(new ReplicaRefusals().retryAfterSeconds()).toBeUndefined();
  });
});
