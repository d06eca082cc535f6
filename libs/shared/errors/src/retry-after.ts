/**
 * The longest wait a refusal may ask for: a client told to come back in hours looks stuck, and a hint that far out is
 * a guess anyway. (The eval worker cuts what it honours to the same five minutes.)
 */
export const RETRY_AFTER_MAX_SECONDS = 300;

/**
 * A wait in the form every transport sends it (HTTP's `Retry-After`, the gRPC `retry-after` trailer): whole seconds,
 * rounded up so a client never comes back early, at least 1 and at most {@link RETRY_AFTER_MAX_SECONDS}. Undefined for
 * anything that is not a finite, non-negative number.
 */
export function retryAfterSecondsOf(seconds: number | undefined): number | undefined {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return undefined;
  return Math.min(RETRY_AFTER_MAX_SECONDS, Math.max(1, Math.ceil(seconds)));
}
