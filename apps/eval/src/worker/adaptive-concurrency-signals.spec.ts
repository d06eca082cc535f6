import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { PlatformError, PlatformErrorCode } from '@lemur/shared-errors';
import { fromGrpcError, toGrpcError } from '@lemur/shared-grpc';
import { describe, expect, it } from 'vitest';
import type { SampleResult } from '../runs/run.types';
import { capacitySignalOf, codeOfReason, isOverload, retryAfterMsOf, retryDelayMs } from './adaptive-concurrency-signals';

/** The error the eval worker's gRPC client throws for a status inference answered with, trailers and all. */
function received(status: GrpcStatus, details: string, trailers: Record<string, string> = {}, domainCode?: PlatformErrorCode): PlatformError {
  const metadata = domainCode ? (toGrpcError(new PlatformError(domainCode, details)).metadata as Metadata) : new Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  const err = Object.assign(new Error(details), { code: status, details, metadata }) as ServiceError;
  return fromGrpcError(err);
}

const errored = (error: string): SampleResult => ({
  status: 'ERRORED',
  prompt: null,
  completion: null,
  score: null,
  passed: null,
  scoreDetail: null,
  transcript: null,
  promptTokens: null,
  completionTokens: null,
  latencyMs: 1,
  error,
});

describe('overload signals', () => {
  it('are the failures that travel as RESOURCE_EXHAUSTED or UNAVAILABLE', () => {
    const overloads = Object.values(PlatformErrorCode).filter(isOverload).sort();
    expect(overloads).toEqual(['NO_READY_ENDPOINT', 'RESOURCE_EXHAUSTED', 'SANDBOX_UNAVAILABLE', 'UPSTREAM_FAILED']);
    expect(isOverload(undefined)).toBe(false);
  });

  it("include a replica's 429 relayed by inference and a team over its fair-queue limits", () => {
    const relayed = received(GrpcStatus.UNAVAILABLE, 'model "m" failed after 1 attempts; last: replica http://r answered 429: slow down', {}, PlatformErrorCode.UPSTREAM_FAILED);
    const fairQueue = received(GrpcStatus.RESOURCE_EXHAUSTED, 'team "t" has 4 requests queued (maxQueued=4)', {}, PlatformErrorCode.RESOURCE_EXHAUSTED);
    // A peer that sets no domain code: the bare status decides.
    const bare = received(GrpcStatus.UNAVAILABLE, 'connection refused');
    for (const err of [relayed, fairQueue, bare]) {
      expect(capacitySignalOf({ kind: 'retry', reason: `${err.code}: ${err.message}`, error: err })).toBe('overload');
    }
    const refused = received(GrpcStatus.INVALID_ARGUMENT, 'prompt too long');
    expect(capacitySignalOf({ kind: 'retry', reason: `${refused.code}: x`, error: refused })).toBe('neutral');
    expect(capacitySignalOf({ kind: 'retry', reason: 'DEADLINE_EXCEEDED: took too long' })).toBe('neutral');
  });

  it('read a result: scored is a success, errored by an overload (attempts used up) still an overload', () => {
    expect(capacitySignalOf({ kind: 'result', result: { ...errored(''), status: 'SCORED', error: null } })).toBe('success');
    expect(capacitySignalOf({ kind: 'result', result: errored('RESOURCE_EXHAUSTED: team "t" is over its limit') })).toBe('overload');
    expect(capacitySignalOf({ kind: 'result', result: errored('INVALID_ARGUMENT: model server rejected the request (400)') })).toBe('neutral');
    expect(capacitySignalOf({ kind: 'result', result: errored('the result could not be stored: value too long') })).toBe('neutral');
  });

  it('take the code from the start of a stored reason only', () => {
    expect(codeOfReason('UPSTREAM_FAILED: replica answered 503')).toBe(PlatformErrorCode.UPSTREAM_FAILED);
    expect(codeOfReason('NOT_A_CODE: x')).toBeUndefined();
    expect(codeOfReason('cannot re-score: UPSTREAM_FAILED: x')).toBeUndefined();
    expect(codeOfReason(null)).toBeUndefined();
  });
});

describe('Retry-After', () => {
  it("is read from the gRPC error's retry-after trailer, in seconds", () => {
    expect(retryAfterMsOf(received(GrpcStatus.RESOURCE_EXHAUSTED, 'busy', { 'retry-after': '7' }))).toBe(7000);
    expect(retryAfterMsOf(received(GrpcStatus.UNAVAILABLE, 'busy', { 'retry-after': ' 1.5 ' }, PlatformErrorCode.UPSTREAM_FAILED))).toBe(1500);
  });

  it('is absent when there is none or it is not a number of seconds', () => {
    expect(retryAfterMsOf(received(GrpcStatus.UNAVAILABLE, 'busy'))).toBeUndefined();
    expect(retryAfterMsOf(received(GrpcStatus.UNAVAILABLE, 'busy', { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }))).toBeUndefined();
    expect(retryAfterMsOf(received(GrpcStatus.UNAVAILABLE, 'busy', { 'retry-after': '-3' }))).toBeUndefined();
    expect(retryAfterMsOf(new PlatformError(PlatformErrorCode.UPSTREAM_FAILED, 'no cause'))).toBeUndefined();
    expect(retryAfterMsOf(undefined)).toBeUndefined();
  });
});

describe('retry delay', () => {
  it('doubles per attempt from about a second, jittered over the upper half, up to a minute', () => {
    const low = () => 0;
    const high = () => 0.999999;
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, undefined, low))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((a) => retryDelayMs(a, undefined, high))).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(30, undefined, high)).toBe(60_000);
    expect(retryDelayMs(30, undefined, low)).toBe(30_000);
  });

  it('spreads samples refused together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(3)));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(2000);
    for (const d of delays) expect(d).toBeLessThanOrEqual(4000);
  });

  it('waits at least the Retry-After, at most five minutes of it', () => {
    expect(retryDelayMs(1, 7000, () => 0.5)).toBe(7000);
    expect(retryDelayMs(4, 1000, () => 0.5)).toBe(6000);
    expect(retryDelayMs(1, 3_600_000, () => 0.5)).toBe(300_000);
  });
});
