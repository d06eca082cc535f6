import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import { PlatformErrorCode } from '@lemur/shared-errors';
import { grpcStatusFor } from '@lemur/shared-grpc';
import type { CapacitySignal } from './adaptive-concurrency';
import type { SampleOutcome } from './sample-processor';

/** First retry of a sample after about a second; each further one waits twice as long, up to a minute. */
const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 60_000;
/** A Retry-After longer than this is cut to it: a sample parked for hours looks like a stuck run. */
const RETRY_AFTER_MAX_MS = 300_000;
/** gRPC metadata (trailer) a peer may set on a refusal: seconds to wait, as HTTP's Retry-After. */
const RETRY_AFTER_KEY = 'retry-after';

/**
 * Whether a failure says the endpoint (or what a sample needs on the way: inference's per-team fair queue, the
 * sandbox) is over capacity: the codes that travel as gRPC RESOURCE_EXHAUSTED or UNAVAILABLE. Inference reports a
 * replica's 429/5xx it could not route around as UPSTREAM_FAILED (UNAVAILABLE) and a team over its limits as
 * RESOURCE_EXHAUSTED. Read from the transport mapping itself, so a new code is classified where its status is chosen.
 */
export function isOverload(code: PlatformErrorCode | undefined): boolean {
  if (code === undefined) return false;
  const status = grpcStatusFor(code);
  return status === GrpcStatus.RESOURCE_EXHAUSTED || status === GrpcStatus.UNAVAILABLE;
}

/** The domain code a stored sample error or retry reason starts with (`UPSTREAM_FAILED: ...`), if any. */
export function codeOfReason(text: string | null | undefined): PlatformErrorCode | undefined {
  const prefix = /^([A-Z_]+): /.exec(text ?? '')?.[1];
  return prefix !== undefined && prefix in PlatformErrorCode ? (prefix as PlatformErrorCode) : undefined;
}

/** What a processed sample says about the endpoint's capacity: scored, refused as overloaded, or nothing. */
export function capacitySignalOf(outcome: SampleOutcome): CapacitySignal {
  if (outcome.kind === 'retry') return isOverload(outcome.error?.code ?? codeOfReason(outcome.reason)) ? 'overload' : 'neutral';
  if (outcome.result.status === 'SCORED') return 'success';
  // Errored after its last attempt: an overload then still counts against the limit.
  return isOverload(codeOfReason(outcome.result.error)) ? 'overload' : 'neutral';
}

/**
 * The Retry-After a failure carries, in ms: the `retry-after` metadata (seconds) of the gRPC error it was rebuilt
 * from (a PlatformError keeps that error as its cause). Undefined when there is none or it is not a number.
 */
export function retryAfterMsOf(err: unknown): number | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const metadata = (current as { metadata?: unknown }).metadata;
    if (metadata instanceof Metadata) {
      const value = metadata.get(RETRY_AFTER_KEY)[0];
      const text = typeof value === 'string' ? value.trim() : '';
      if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * How long a sample waits before its next attempt: exponential backoff from about a second, doubling per attempt up to
 * a minute, with jitter over the upper half (`random` in [0, 1)) so samples refused together do not come back together;
 * never less than the Retry-After the failure carried (capped at five minutes).
 */
export function retryDelayMs(attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempt - 1));
  const backoff = ceiling / 2 + (ceiling / 2) * random();
  return Math.round(Math.max(backoff, Math.min(retryAfterMs ?? 0, RETRY_AFTER_MAX_MS)));
}
