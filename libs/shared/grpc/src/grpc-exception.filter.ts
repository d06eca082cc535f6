import { randomUUID } from 'node:crypto';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { Catch, type ArgumentsHost, type RpcExceptionFilter } from '@nestjs/common';
import { PlatformError } from '@lemur/shared-errors';
import type { Logger } from 'pino';
import { throwError, type Observable } from 'rxjs';
import { toGrpcError } from './grpc-status.mapper';

/**
 * The error a handler reports for anything it threw: domain errors keep their status, anything else becomes INTERNAL
 * with an errorId, its cause logged, never sent. Shared by the Nest filter and handlers registered on grpc-js directly.
 */
export function grpcErrorFor(exception: unknown, logger: Logger): Partial<ServiceError> {
  if (exception instanceof PlatformError) {
    if (exception.cause) logger.debug({ err: exception, code: exception.code }, 'request failed');
    return toGrpcError(exception);
  }
  const errorId = randomUUID();
  logger.error({ err: exception, errorId }, 'unhandled error in gRPC handler');
  return { code: GrpcStatus.INTERNAL, details: `internal error (errorId ${errorId})` };
}

/** Maps domain errors to gRPC statuses; anything else becomes INTERNAL with an errorId, its cause logged, never sent. */
@Catch()
export class GrpcExceptionFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    const error = grpcErrorFor(exception, this.logger);
    return throwError(() => error);
  }
}
