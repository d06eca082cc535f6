import { PlatformErrorCode, assertUnreachable } from '@lemur/shared-errors';

/** The HTTP status for each domain error code: the gateway's one mapping, exhaustive. */
export function httpStatusFor(code: PlatformErrorCode): number {
  switch (code) {
    case PlatformErrorCode.INVALID_ARGUMENT:
      return 400;
    case PlatformErrorCode.RUN_NOT_FOUND:
    case PlatformErrorCode.SAMPLE_NOT_FOUND:
    case PlatformErrorCode.MODEL_NOT_FOUND:
    case PlatformErrorCode.BENCHMARK_NOT_FOUND:
    case PlatformErrorCode.SESSION_NOT_FOUND:
    case PlatformErrorCode.SCHEDULE_NOT_FOUND:
      return 404;
    case PlatformErrorCode.RUN_NOT_CANCELLABLE:
    case PlatformErrorCode.RUN_STATE_CONFLICT:
    case PlatformErrorCode.SCHEDULE_EXISTS:
      return 409;
    // The request was fine but the benchmark's data cannot be had here (offline, missing file): not retryable as is.
    case PlatformErrorCode.DATASET_UNAVAILABLE:
      return 422;
    case PlatformErrorCode.RESOURCE_EXHAUSTED:
      return 429;
    case PlatformErrorCode.CANCELLED:
      return 499;
    case PlatformErrorCode.INTERNAL:
      return 500;
    case PlatformErrorCode.NO_READY_ENDPOINT:
    case PlatformErrorCode.UPSTREAM_FAILED:
    case PlatformErrorCode.SANDBOX_UNAVAILABLE:
      return 503;
    case PlatformErrorCode.DEADLINE_EXCEEDED:
      return 504;
    default:
      return assertUnreachable(code);
  }
}
