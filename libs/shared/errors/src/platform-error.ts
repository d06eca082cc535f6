import { retryAfterSecondsOf } from './retry-after';

/** Every domain failure the platform can report; transports map these exhaustively (see the grpc and gateway mappers). */
export enum PlatformErrorCode {
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  RUN_NOT_FOUND = 'RUN_NOT_FOUND',
  SAMPLE_NOT_FOUND = 'SAMPLE_NOT_FOUND',
  MODEL_NOT_FOUND = 'MODEL_NOT_FOUND',
  BENCHMARK_NOT_FOUND = 'BENCHMARK_NOT_FOUND',
  SESSION_NOT_FOUND = 'SESSION_NOT_FOUND',
  DATASET_UNAVAILABLE = 'DATASET_UNAVAILABLE',
  RUN_NOT_CANCELLABLE = 'RUN_NOT_CANCELLABLE',
  /** The run's state does not allow the operation (re-scoring a running run, retrying one with no errors). */
  RUN_STATE_CONFLICT = 'RUN_STATE_CONFLICT',
  SCHEDULE_NOT_FOUND = 'SCHEDULE_NOT_FOUND',
  SCHEDULE_EXISTS = 'SCHEDULE_EXISTS',
  NO_READY_ENDPOINT = 'NO_READY_ENDPOINT',
  UPSTREAM_FAILED = 'UPSTREAM_FAILED',
  SANDBOX_UNAVAILABLE = 'SANDBOX_UNAVAILABLE',
  RESOURCE_EXHAUSTED = 'RESOURCE_EXHAUSTED',
  DEADLINE_EXCEEDED = 'DEADLINE_EXCEEDED',
  CANCELLED = 'CANCELLED',
  INTERNAL = 'INTERNAL',
}

/**
 * A domain error: a stable code for clients, an optional offending field, an optional hint of when a refused request
 * may be retried (seconds; every transport carries it: gRPC as the `retry-after` trailer, HTTP as `Retry-After`), and
 * the cause kept for logs only.
 */
export class PlatformError extends Error {
  override readonly name = 'PlatformError';
  /** Whole seconds to wait before retrying (1 to RETRY_AFTER_MAX_SECONDS), when the refusal knows. */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly code: PlatformErrorCode,
    message: string,
    readonly options: { field?: string; cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, { cause: options.cause });
    this.retryAfterSeconds = retryAfterSecondsOf(options.retryAfterSeconds);
  }

  get field(): string | undefined {
    return this.options.field;
  }

  /** Shorthand for a validation failure on one input field. */
  static invalid(field: string, message: string): PlatformError {
    return new PlatformError(PlatformErrorCode.INVALID_ARGUMENT, `${field}: ${message}`, { field });
  }
}

/** Compile-time exhaustiveness check for switches over enums. */
export function assertUnreachable(value: never): never {
  throw new Error(`unhandled value: ${String(value)}`);
}
