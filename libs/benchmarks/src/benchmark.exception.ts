import { PlatformErrorCode, assertUnreachable } from '@lemur/shared-errors';

/** Why a benchmark operation failed. */
export enum BenchmarkErrorCode {
  UNKNOWN_BENCHMARK = 'UNKNOWN_BENCHMARK',
  DATASET_NOT_FOUND = 'DATASET_NOT_FOUND',
  DATASET_CHECKSUM_MISMATCH = 'DATASET_CHECKSUM_MISMATCH',
  DATASET_DOWNLOAD_FAILED = 'DATASET_DOWNLOAD_FAILED',
  DATASET_INVALID = 'DATASET_INVALID',
  /** The execution environment cannot run the benchmark as its protocol defines (e.g. a SQL server's settings). */
  ENVIRONMENT_UNSUITABLE = 'ENVIRONMENT_UNSUITABLE',
}

/** A benchmark-domain error: a stable code, structured details for logs and clients, and the cause kept for logs. */
export class BenchmarkException extends Error {
  override readonly name = 'BenchmarkException';

  constructor(
    readonly code: BenchmarkErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** Maps a benchmark error code onto the platform-wide code that transports understand. */
export function toPlatformErrorCode(code: BenchmarkErrorCode): PlatformErrorCode {
  switch (code) {
    case BenchmarkErrorCode.UNKNOWN_BENCHMARK:
      return PlatformErrorCode.BENCHMARK_NOT_FOUND;
    case BenchmarkErrorCode.DATASET_NOT_FOUND:
    case BenchmarkErrorCode.DATASET_CHECKSUM_MISMATCH:
    case BenchmarkErrorCode.DATASET_DOWNLOAD_FAILED:
    case BenchmarkErrorCode.DATASET_INVALID:
      return PlatformErrorCode.DATASET_UNAVAILABLE;
    case BenchmarkErrorCode.ENVIRONMENT_UNSUITABLE:
      return PlatformErrorCode.SANDBOX_UNAVAILABLE;
    default:
      return assertUnreachable(code);
  }
}
