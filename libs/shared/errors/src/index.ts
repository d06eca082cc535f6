export { PlatformError, PlatformErrorCode, assertUnreachable } from './platform-error';
