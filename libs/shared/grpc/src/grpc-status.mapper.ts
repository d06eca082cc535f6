import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { PlatformError, PlatformErrorCode, assertUnreachable } from '@lemur/shared-errors';

const CODE_KEY = 'lemur-error-code';
const FIELD_KEY = 'lemur-error-field';
/** Seconds to wait before retrying, as HTTP's Retry-After: the key the eval worker's backoff reads from the trailers. */
const RETRY_AFTER_KEY = 'retry-after';

/** The gRPC status for each domain error code. */
export function grpcStatusFor(code: PlatformErrorCode): GrpcStatus {
  switch (code) {
    case PlatformErrorCode.INVALID_ARGUMENT:
      return GrpcStatus.INVALID_ARGUMENT;
    case PlatformErrorCode.RUN_NOT_FOUND:
    case PlatformErrorCode.SAMPLE_NOT_FOUND:
    case PlatformErrorCode.MODEL_NOT_FOUND:
    case PlatformErrorCode.BENCHMARK_NOT_FOUND:
    case PlatformErrorCode.SESSION_NOT_FOUND:
    case PlatformErrorCode.SCHEDULE_NOT_FOUND:
      return GrpcStatus.NOT_FOUND;
    case PlatformErrorCode.SCHEDULE_EXISTS:
      return GrpcStatus.ALREADY_EXISTS;
    case PlatformErrorCode.DATASET_UNAVAILABLE:
    case PlatformErrorCode.RUN_NOT_CANCELLABLE:
    case PlatformErrorCode.RUN_STATE_CONFLICT:
      return GrpcStatus.FAILED_PRECONDITION;
    case PlatformErrorCode.NO_READY_ENDPOINT:
    case PlatformErrorCode.SANDBOX_UNAVAILABLE:
      return GrpcStatus.UNAVAILABLE;
    case PlatformErrorCode.UPSTREAM_FAILED:
      return GrpcStatus.UNAVAILABLE;
    case PlatformErrorCode.RESOURCE_EXHAUSTED:
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case PlatformErrorCode.DEADLINE_EXCEEDED:
      return GrpcStatus.DEADLINE_EXCEEDED;
    case PlatformErrorCode.CANCELLED:
      return GrpcStatus.CANCELLED;
    case PlatformErrorCode.INTERNAL:
      return GrpcStatus.INTERNAL;
    default:
      return assertUnreachable(code);
  }
}

/** The error object a grpc-js handler reports for a domain error; the cause stays in the logs, not on the wire. */
export function toGrpcError(error: PlatformError): Partial<ServiceError> {
  const metadata = new Metadata();
  metadata.set(CODE_KEY, error.code);
  if (error.field) metadata.set(FIELD_KEY, error.field);
  if (error.retryAfterSeconds !== undefined) metadata.set(RETRY_AFTER_KEY, String(error.retryAfterSeconds));
  return { code: grpcStatusFor(error.code), details: error.message, message: error.message, metadata };
}

function domainCodeForStatus(code: GrpcStatus): PlatformErrorCode {
  switch (code) {
    case GrpcStatus.INVALID_ARGUMENT:
    case GrpcStatus.OUT_OF_RANGE:
      return PlatformErrorCode.INVALID_ARGUMENT;
    case GrpcStatus.DEADLINE_EXCEEDED:
      return PlatformErrorCode.DEADLINE_EXCEEDED;
    case GrpcStatus.CANCELLED:
      return PlatformErrorCode.CANCELLED;
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return PlatformErrorCode.RESOURCE_EXHAUSTED;
    case GrpcStatus.UNAVAILABLE:
      return PlatformErrorCode.UPSTREAM_FAILED;
    default:
      return PlatformErrorCode.INTERNAL;
  }
}

/** The peer's `retry-after` trailer in seconds; undefined when absent or not a number (any peer may set it). */
function retryAfterOf(metadata: Metadata | undefined): number | undefined {
  const value = metadata?.get(RETRY_AFTER_KEY)[0];
  const text = typeof value === 'string' ? value.trim() : '';
  return /^\d+(\.\d+)?$/.test(text) ? Number(text) : undefined;
}

/**
 * Rebuilds the domain error a peer reported, so callers can branch on its code (the peer's metadata wins over the
 * status) and pass its retry hint on (a gateway answering HTTP, a service calling another).
 */
export function fromGrpcError(error: ServiceError): PlatformError {
  const reported = error.metadata?.get(CODE_KEY)[0];
  const field = error.metadata?.get(FIELD_KEY)[0];
  const retryAfterSeconds = retryAfterOf(error.metadata);
  const code =
    typeof reported === 'string' && reported in PlatformErrorCode
      ? (reported as PlatformErrorCode)
      : domainCodeForStatus(error.code);
  return new PlatformError(code, error.details || error.message, {
    ...(typeof field === 'string' ? { field } : {}),
    ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
    cause: error,
  });
}
