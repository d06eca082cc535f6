export { PlatformError, PlatformErrorCode, assertUnreachable } from './platform-error';
export { RETRY_AFTER_MAX_SECONDS, retryAfterSecondsOf } from './retry-after';
